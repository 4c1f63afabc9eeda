// qemu_irq: a level-triggered interrupt line from a device to an interrupt controller input.
export interface IRQ {
  set(level: boolean): void;
}

export function irqLine(handler: (level: boolean) => void): IRQ {
  return { set: handler };
}

export const NO_IRQ: IRQ = { set() {} };
