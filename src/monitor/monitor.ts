// The monitor's entry points for the binaries: the built-in command table, the QMP and HMP
// front ends, and the registration functions other subsystems use.
import './qmp-commands.js';
import './qmp-chardev.js';
import './qmp-block.js';
import './qmp-misc.js';
import { hmpRegister } from './hmp-info.js';

hmpRegister();

export { monitorCommands, registerCommand, registerInfo, QmpError, type MonitorCommand, type InfoCommand } from './commands.js';
export { QmpMonitor } from './qmp.js';
export { HmpMonitor, hmpExecute } from './hmp.js';
export { MonitorEvents, type MonitorVM, type MonitorContext, type RunState, type MonitorBlockDevice, type BlockAcctStats } from './vm.js';
