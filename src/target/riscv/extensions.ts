// Every module that implements (and registers) a RISC-V extension, imported before -cpu is
// parsed so the registry is complete. One line per extension module.
import './priv-ext.js';
