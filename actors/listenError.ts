/** A server could not listen (port taken, address not available, no permission): one line for the user. */
export class ListenError extends Error {
  constructor(
    readonly what: string,
    readonly host: string,
    readonly port: number,
    readonly errorCode: string | undefined,
    readonly hint: string,
  ) {
    super(`${what}: cannot listen on ${host}:${port}: ${ListenError.reason(errorCode)}${hint ? ` (${hint})` : ''}`);
    this.name = 'ListenError';
  }

  private static reason(code: string | undefined): string {
    if (code === 'EADDRINUSE') return 'the port is already in use';
    if (code === 'EADDRNOTAVAIL') return 'no such address on this machine';
    if (code === 'EACCES') return 'permission denied (ports below 1024 need privileges)';
    return code ?? 'error';
  }
}
