// Commands management tools send whose answer on this machine is fixed: nothing to report or
// nothing possible, answered as QEMU 10.2 answers them on riscv64 `virt` (no block jobs, no
// migration, no suspend, no NMI, no display). Checked against qemu-system-riscv64 in
// tests/cli-qa-compare.test.js.
import { type ArgSpec, QmpError, registerCommand } from './commands.js';

const str = (name: string, optional = false): ArgSpec => ({ name, type: 'str', optional });
const bool = (name: string, optional = false): ArgSpec => ({ name, type: 'bool', optional });

// No block job ever runs here (no block-stream/-commit/-mirror/backup): an empty list, and a job
// named by a command is not found (DeviceNotActive, QEMU's find_block_job_locked).
registerCommand({ name: 'query-block-jobs', returns: { array: 'any' }, run: () => [] });
const noJob = (a: Record<string, unknown>): never => { throw new QmpError('DeviceNotActive', `Block job '${String(a.device)}' not found`); };
registerCommand({ name: 'block-job-cancel', args: [str('device'), bool('force', true)], run: noJob });
registerCommand({ name: 'block-job-pause', args: [str('device')], run: noJob });
registerCommand({ name: 'block-job-resume', args: [str('device')], run: noJob });
registerCommand({ name: 'block-job-complete', args: [str('device')], run: noJob });

registerCommand({
  name: 'query-memory-size-summary', returns: { object: 'MemoryInfo', members: [{ name: 'base-memory', type: 'size' }] },
  run: (_a, { vm }) => ({ 'base-memory': vm.ramSize ?? 0 }),
});
registerCommand({
  name: 'query-current-machine', returns: { object: 'CurrentMachineParams', members: [bool('wakeup-suspend-support')] },
  run: () => ({ 'wakeup-suspend-support': false }),
});
// Never migrating: QEMU's MigrationInfo with no status yet is {}.
registerCommand({ name: 'query-migrate', returns: 'any', run: () => ({}) });
registerCommand({ name: 'query-display-options', returns: 'any', run: () => ({ type: 'none' }) });
registerCommand({
  name: 'inject-nmi', hmp: { names: 'nmi', help: 'inject an NMI' },
  run: () => { throw new QmpError('GenericError', 'this feature or command is not currently supported'); },
});
registerCommand({
  name: 'system_wakeup', hmp: { names: 'system_wakeup', help: 'wakeup guest from suspend' },
  run: () => { throw new QmpError('GenericError', 'wake-up from suspend is not supported by this guest'); },
});
// The virt board has no CPU hotplug (MachineClass has_hotpluggable_cpus false).
registerCommand({
  name: 'query-hotpluggable-cpus', returns: 'any',
  run: () => { throw new QmpError('GenericError', "The feature 'query-hotpluggable-cpus' is not enabled"); },
});
