// The fake streamer checks Central's Cluster signature with the shared implementation.
import { clusterAuthHeader, verifyClusterAuthHeader } from '@central/protocol/cluster-auth';

export const clusterHeader = clusterAuthHeader;
export const verifyClusterHeader = verifyClusterAuthHeader;
