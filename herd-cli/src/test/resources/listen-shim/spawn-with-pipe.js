// Starts the command in its arguments with a pipe of its own at fd 3 (stdio's fourth entry), as a
// parent may give a child: a process that inherits herd's variables but not herd's socket.
'use strict';
const childProcess = require('child_process');

const child = childProcess.spawn(process.argv[2], process.argv.slice(3), { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
child.on('exit', (code, signal) => process.exit(code === null ? 1 : code));
process.on('SIGTERM', () => child.kill('SIGTERM'));
