// Reading a Server-Sent Events response in tests.

/**
 * Reads an SSE response until `predicate` holds on the text so far, then cancels it. Fails after `timeoutMs`
 * even while no bytes arrive (a pending read is cut by the deadline), with the text read so far.
 */
export async function readUntil(
  response: Response,
  predicate: (text: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  if (!response.body) throw new Error(`no body to read (status ${response.status})`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    while (!predicate(text)) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'timeout') throw new Error(`timed out; got ${JSON.stringify(text)}`);
      if (next.done) break;
      text += decoder.decode(next.value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}
