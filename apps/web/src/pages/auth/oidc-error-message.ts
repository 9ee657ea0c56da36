// What the `?error=<code>` from the OIDC callback means, in words a person can act on. The server redirects
// with a code only (never free text in the URL), so the sentences live here.

/** The explanation for a callback error code; `provider` is the name on the sign-in button. */
export function oidcErrorMessage(code: string, provider: string): { title: string; message: string } {
  const title = `Could not sign you in with ${provider}`;
  switch (code) {
    case 'oidc_not_allowed':
      return {
        title: 'Your account is not allowed here',
        message: `Your ${provider} account is not in a group or email domain that may use this Homeport. Ask an administrator to give you access.`,
      };
    case 'oidc_not_linked':
      return {
        title: 'No Homeport account for you yet',
        message: `Your ${provider} account is not linked to a Homeport account, and this Homeport does not create accounts on its own. Sign in with your password and link ${provider} under Settings → Sign-in, or ask an administrator.`,
      };
    case 'oidc_username_taken':
      return {
        title,
        message: `A Homeport account with your ${provider} username already exists. If it is yours, sign in with its password and link ${provider} under Settings → Sign-in; otherwise ask an administrator.`,
      };
    case 'oidc_claim_missing':
      return {
        title,
        message: `${provider} did not send a username Homeport can use. Ask an administrator to check the username claim in Settings → Authentication.`,
      };
    case 'oidc_identity_in_use':
      return {
        title: 'Already linked to someone else',
        message: `That ${provider} account is already linked to another Homeport user.`,
      };
    case 'oidc_state_invalid':
      return {
        title: 'That sign-in expired',
        message:
          'The sign-in took too long, was already used, or was started in another browser. Please try again.',
      };
    case 'oidc_denied':
      return { title, message: `Signing in was cancelled or refused at ${provider}.` };
    case 'oidc_provider_error':
      return {
        title,
        message: `The answer from ${provider} could not be verified. Try again; if it keeps happening, an administrator will find the reason in the Homeport log.`,
      };
    case 'oidc_unavailable':
      return { title, message: `${provider} cannot be reached right now. Try again in a moment.` };
    case 'oidc_misconfigured':
      return {
        title,
        message: `Sign-in with ${provider} is not set up correctly. Ask an administrator to check Settings → Authentication.`,
      };
    case 'oidc_disabled':
      return {
        title: 'Single sign-on is off',
        message: 'Sign-in with a provider is turned off on this server.',
      };
    case 'user_disabled':
      return { title: 'This account is disabled', message: 'Ask an administrator to enable it.' };
    default:
      return { title, message: 'Something went wrong while signing in. Please try again.' };
  }
}
