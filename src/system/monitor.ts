// The HMP monitor moved to src/monitor/ (one command table for QMP and HMP). This module keeps
// the old import path: HmpMonitor replaces MiniMonitor; subsystems add `info` subcommands with
// registerInfo() and commands with registerCommand().
export { HmpMonitor, registerInfo, registerCommand, monitorCommands } from '../monitor/monitor.js';
