// The sign-in form: an admin token (sees every run of a tenant) or a key (sees its own runs). The
// token is tried once against the budget API before the page keeps it for the tab.
import { apiPath, getJson, Unauthenticated } from './api.js';
import { el, fill } from './dom.js';

export function signInView(root: HTMLElement, message: string | null, signedIn: (token: string) => void): void {
  const input = el('input', {
    type: 'password',
    id: 'token',
    name: 'token',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-help',
  });
  const problem = el(
    'p',
    { class: 'error', id: 'sign-in-error', role: 'alert', hidden: message === null },
    message ?? '',
  );
  const button = el('button', { type: 'submit' }, 'Sign in');
  const form = el(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    el('h1', { id: 'sign-in-title' }, 'Sign in to the live view'),
    problem,
    el('label', { for: 'token' }, 'Admin token or key'),
    input,
    el(
      'p',
      { id: 'token-help', class: 'hint' },
      'The admin token shows every run of a tenant; a key shows the runs it made. ',
      'It is kept in this tab only (sessionStorage) and sent to this runcap alone.',
    ),
    button,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') return;
    button.disabled = true;
    void getJson(token, apiPath('/budget/runs', { limit: 1 }))
      .then(() => signedIn(token))
      .catch((failure: unknown) => {
        button.disabled = false;
        problem.textContent =
          failure instanceof Unauthenticated
            ? `runcap refused this token (401): ${failure.message} Check it and try again.`
            : `Could not sign in: ${(failure as Error).message}`;
        problem.hidden = false;
        input.select();
        input.focus();
      });
  });
  fill(root, form);
  input.focus();
}
