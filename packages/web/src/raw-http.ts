// Test support shared by both apps' suites (exported as @silo/web/raw-http, never used at run time).
import { connect } from 'node:net';

/** Raw HTTP/1.1 over a socket, for what fetch will not send (a forged Host, CR/LF). */
export function rawRequest(url: string, text: string): Promise<{ status: number; head: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => {
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body: rest.join('\r\n\r\n') });
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

/** A header's value from a raw response head. */
export function headerIn(head: string, name: string): string | undefined {
  const line = head.split('\r\n').find((item) => item.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
