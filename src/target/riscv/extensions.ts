// Every module that implements (and registers) a RISC-V extension, imported before -cpu is
// parsed so the registry is complete. One line per extension module.
import './priv-ext.js';
import './pmu.js'; // after priv-ext: it replaces the counter and mhpmevent rows
import './debug.js';
import './cpu-ext-unpriv.js';
import './trans_rvv.js';
import './cpu-h.js';
import './aia_helper.js';
import './trans_rvzabha.js';
import './trans_rvzce.js'; // Zca/Zcd as properties, Zcmp, Zcmt
import './vector_helper_crypto.js';
import './csr-hvi.js'; // hvien, hvictl, hviprio1/2, vstopi (AIA with H)
import './csr-pm.js'; // after the rows it wraps (envcfg, hstatus, satp, vsatp, vsstatus, mseccfg)
import './hyp-sstc.js'; // vstimecmp, hstateen0-3 and the stateen checks for VS (wraps at first reset)
import './csr-mvien.js'; // last: it wraps the sie/sip rows the modules above built
