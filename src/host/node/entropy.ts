// Host entropy for virtio-rng and /chosen/rng-seed.
import { randomFillSync } from 'node:crypto';
import type { EntropySource } from '../../hw/virtio/virtio-rng.js';

export const nodeEntropy: EntropySource = (buf) => {
  randomFillSync(buf);
};
