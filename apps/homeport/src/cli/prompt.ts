// Reading a password for the user commands: from stdin when asked, otherwise a generated one shown once.

import { newPassword } from '@homeport/accounts';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** The password to set, and whether it was generated (then it is printed once). */
export async function choosePassword(fromStdin: boolean): Promise<{ password: string; generated: boolean }> {
  if (fromStdin) return { password: await readStdin(), generated: false };
  return { password: newPassword(), generated: true };
}
