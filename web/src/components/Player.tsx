// An HLS player: hls.js (loaded on demand, so it is not in the initial bundle) or the browser's native
// HLS (Safari, iOS). A manifest that is not there yet (the stream is starting) is retried.
import { Alert, Box, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';

type State = 'loading' | 'playing' | 'retrying' | 'unsupported';

export function Player({ src }: { src: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<State>('loading');
  const [detail, setDetail] = useState<string | null>(null);

  useEffect(() => {
    const el = video.current;
    if (!el) return;
    let disposed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let destroy = () => {};
    const onPlaying = () => setState('playing');
    el.addEventListener('playing', onPlaying);

    (async () => {
      const { default: Hls } = await import('hls.js');
      if (disposed) return;
      if (Hls.isSupported()) {
        const start = () => {
          const hls = new Hls({ lowLatencyMode: false, manifestLoadingMaxRetry: 2 });
          destroy = () => hls.destroy();
          hls.on(Hls.Events.ERROR, (_e, data) => {
            if (!data.fatal) return;
            setDetail(data.details);
            if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
              hls.recoverMediaError();
              return;
            }
            hls.destroy();
            setState('retrying');
            if (!disposed) retry = setTimeout(start, 3000);
          });
          hls.loadSource(src);
          hls.attachMedia(el);
          hls.on(Hls.Events.MANIFEST_PARSED, () => void el.play().catch(() => {}));
        };
        start();
      } else if (el.canPlayType('application/vnd.apple.mpegurl')) {
        el.src = src;
        destroy = () => {
          el.removeAttribute('src');
          el.load();
        };
        void el.play().catch(() => {});
      } else {
        setState('unsupported');
      }
    })().catch((e: unknown) => {
      setState('unsupported');
      setDetail(String(e));
    });

    return () => {
      disposed = true;
      clearTimeout(retry);
      el.removeEventListener('playing', onPlaying);
      destroy();
    };
  }, [src]);

  return (
    <Box>
      <video
        ref={video}
        data-testid="player"
        data-state={state}
        controls
        muted
        autoPlay
        playsInline
        aria-label="Stream preview player"
        style={{ width: '100%', maxWidth: 720, aspectRatio: '16 / 9', background: '#000', borderRadius: 8 }}
      />
      {state === 'retrying' && (
        <Text size="sm" c="dimmed">
          Waiting for the stream… {detail ? `(${detail})` : ''}
        </Text>
      )}
      {state === 'unsupported' && (
        <Alert color="yellow" mt="xs">
          This browser cannot play HLS. {detail}
        </Alert>
      )}
    </Box>
  );
}
