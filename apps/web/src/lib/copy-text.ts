// Copies text to the clipboard, including on plain-HTTP LAN addresses where the Clipboard API is missing.

/**
 * Resolves true when the text was copied. `navigator.clipboard` exists only in secure contexts, and a
 * self-hosted Homeport is often opened as http://192.168.x.y; there the old select-and-copy command
 * on `field` (an input that shows the same text) still works.
 */
export async function copyText(text: string, field: HTMLInputElement | null): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (error) {
      console.error('Clipboard API refused, falling back to execCommand', error);
    }
  }
  if (!field) return false;
  field.focus();
  field.select();
  // Deprecated, but the only way to copy without the Clipboard API; it reports failure honestly.
  return document.execCommand('copy');
}
