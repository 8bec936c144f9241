#!/usr/bin/env python3
"""Runs a command with a listening TCP socket at fd 3, as herd's socket mode hands it over.

usage: listen-fd.py [--host H] [--port-file F] [--app-port N] [--any] [--require PATH]
                    [--name NAME] [--share N] PORT -- command args...

Binds H:PORT (PORT 0: an ephemeral port), writes the bound port to F (before the command runs, so
it never mixes with the command's output), puts the socket at fd 3 and sets what herd sets:
LISTEN_FDS=1, LISTEN_PID (the command's pid), LISTEN_FDNAMES=NAME, HERD_LISTEN_FD=3,
HERD_LISTEN_PORT and PORT (the bound port, or N), HERD_LISTEN_ANY=1 with --any, and --require PATH
appended to NODE_OPTIONS. Then it becomes the command (same pid). With --share N it forks N children that
each become the command with the same socket, keeps the socket open itself as herd does, passes
SIGTERM and SIGINT on to every child, writes "listen-fd: pid P exited with C" (or "killed by
signal S") to stderr as each ends, and exits when all have ended.
"""
import argparse
import os
import signal
import socket
import sys


def main():
    argv = sys.argv[1:]
    if '--' not in argv:
        sys.exit('usage: listen-fd.py [options] PORT -- command args...')
    split = argv.index('--')
    command = argv[split + 1:]
    parser = argparse.ArgumentParser(prog='listen-fd.py')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port-file')
    parser.add_argument('--app-port', type=int)
    parser.add_argument('--any', action='store_true')
    parser.add_argument('--require')
    parser.add_argument('--name', default='app')
    parser.add_argument('--share', type=int, default=0)
    parser.add_argument('port', type=int)
    args = parser.parse_args(argv[:split])
    if not command:
        sys.exit('listen-fd.py: no command after --')

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(511)
    port = sock.getsockname()[1]
    fd = sock.detach()
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    os.set_inheritable(3, True)

    env = dict(os.environ)
    app_port = str(args.app_port if args.app_port is not None else port)
    env.update(LISTEN_FDS='1', LISTEN_FDNAMES=args.name, HERD_LISTEN_FD='3', HERD_LISTEN_PORT=app_port,
               PORT=app_port)
    if args.any:
        env['HERD_LISTEN_ANY'] = '1'
    if args.require:
        env['NODE_OPTIONS'] = (env.get('NODE_OPTIONS', '') + ' --require ' + args.require).strip()
    if args.port_file:
        partial = args.port_file + '.partial'
        with open(partial, 'w') as f:
            f.write('%d\n' % port)
        os.rename(partial, args.port_file)

    if args.share == 0:
        env['LISTEN_PID'] = str(os.getpid())
        os.execvpe(command[0], command, env)

    children = []
    for _ in range(args.share):
        pid = os.fork()
        if pid == 0:
            env['LISTEN_PID'] = str(os.getpid())
            os.execvpe(command[0], command, env)
        children.append(pid)

    def forward(signum, frame):
        for child in children:
            try:
                os.kill(child, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = 0
    for _ in children:
        pid, status = os.wait()
        if os.WIFSIGNALED(status):
            sys.stderr.write('listen-fd: pid %d killed by signal %d\n' % (pid, os.WTERMSIG(status)))
            code = code or 128 + os.WTERMSIG(status)
        else:
            sys.stderr.write('listen-fd: pid %d exited with %d\n' % (pid, os.WEXITSTATUS(status)))
            code = code or os.WEXITSTATUS(status)
        sys.stderr.flush()
    sys.exit(code)


if __name__ == '__main__':
    main()
