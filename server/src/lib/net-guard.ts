// SSRF rules for every outbound call to a streamer: streamer api_urls are user-supplied. The rules
// themselves live in protocol/ (net-rules), shared with the streamer's checks of its inputs.
export {
  ALWAYS_DENIED,
  BLOCKED_CODE,
  checkAddress,
  guardedLookup,
  literalProblem,
  parseCidrList,
  urlHost,
  type NetPolicy,
} from '@central/protocol/net-rules';
