// Host entropy in the browser (virtio-rng, /chosen/rng-seed): crypto.getRandomValues, which
// takes at most 65536 bytes a call.
import type { EntropySource } from '../../hw/virtio/virtio-rng.js';

export const browserEntropy: EntropySource = (buf) => {
  for (let o = 0; o < buf.length; o += 65536) crypto.getRandomValues(buf.subarray(o, Math.min(buf.length, o + 65536)));
};
