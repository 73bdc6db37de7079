import { readdir, readFile, readlink } from 'node:fs/promises';

/** Inodes of the TCP sockets listening on `port` (IPv4 and IPv6), from Linux /proc/net. */
async function listenerInodes(port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …; state 0A is LISTEN.
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A' && parseInt(fields[1]?.split(':')[1] ?? '', 16) === port) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

/**
 * Whether process `pid` itself holds the socket listening on `port`: a health check answered on a
 * port another process took (two test runs picking the same free port) is not its service's.
 */
export async function listensOn(pid: number, port: number): Promise<boolean> {
  const inodes = await listenerInodes(port);
  if (inodes.size === 0) return false;
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode && inodes.has(inode)) return true;
  }
  return false;
}
