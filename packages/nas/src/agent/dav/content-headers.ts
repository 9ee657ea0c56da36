// Response headers that keep files users uploaded from running as pages of the agent's origin, where they
// could read other files with a visitor's cached mount credentials.

/**
 * Types a browser may show inline: they render without running anything. Everything else (HTML, SVG, XML,
 * XHTML, JavaScript, PDF, which carries scripts for the viewer, and unknown types) is sent as an attachment.
 */
const INLINE = /^(?:text\/plain|image\/(?:png|jpeg|gif|webp|avif|bmp)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;

/**
 * The policy of every file served: a sandbox (no script, no same-origin access, no forms, no popups) and no
 * fetches except the media element of an audio or video file itself.
 */
export const USER_CONTENT_CSP =
  "sandbox; default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'";

/** The agent's own HTML (the folder listing): no script, no style, no framing, links only. */
export const LISTING_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function isInlineType(contentType: string): boolean {
  return INLINE.test(contentType);
}

/** `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266): the ASCII name for old clients, UTF-8 for all. */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Headers for a file named `name` served as `contentType`, as a flat [name, value, …] list; `attachment`
 * (a download the page asked for) sends even an inline type as a file to save.
 */
export function userContentHeaders(name: string, contentType: string, attachment = false): string[] {
  const headers = ['X-Content-Type-Options', 'nosniff', 'Content-Security-Policy', USER_CONTENT_CSP];
  if (attachment || !isInlineType(contentType))
    headers.push('Content-Disposition', attachmentDisposition(name));
  return headers;
}
