// Beacon as a bench peer: the production composition (`startBeacon`) with the settings the
// orchestrator passes in the environment, plus the bench's memory probe (SIGUSR2). No bench
// route is added to Beacon itself; ports are ephemeral and announced on stdout.

import { startBeacon } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { announceReady, installMemoryProbe, stopOnSignals } from './common.js';
import { installDiagnostics } from './diag.js';

const beacon = await startBeacon({ config: loadConfig(process.env), ephemeralPorts: true });
installMemoryProbe();
installDiagnostics(process.env.BENCH_DIAG_FILE);
stopOnSignals(() => beacon.stop('bench'));
announceReady({ http: beacon.httpPort ?? 0, ...(beacon.httpsPort === undefined ? {} : { https: beacon.httpsPort }) });
