// The code editor of the brand-data JSON editor: CodeMirror 6 (static/vendor/codemirror.js, built
// by scripts/build-editor.sh) with line numbers, JSON highlighting, folding and search, and the
// errors jsoncheck.js finds shown where they are (a gutter mark and an underline, with the
// message on hover).
//
// The page's Content-Security-Policy allows no inline styles, and CodeMirror writes its styles
// at run time. In a document it would add a <style> element (refused by the policy); inside a
// shadow root it uses a constructable stylesheet (`adoptedStyleSheets`), which the policy does
// not govern. So the editor lives in a shadow root of its host element, and is themed from
// there with the page's own CSS variables (they inherit into the shadow tree).
//
// The bundle is loaded on first use, so pages that never edit brand data never fetch it.

import { checkJson } from './jsoncheck.js';

let loading = null;

/** The CodeMirror bundle, fetched once. */
function codemirror() {
  loading ??= import('../vendor/codemirror.js');
  return loading;
}

/** What is wrong with brand data text, or null: `{from, to, message}` (offsets in the text). */
export function brandDataProblem(text) {
  const result = checkJson(text);
  if (!result.ok) {
    const from = Math.min(result.position, text.length);
    return { from, to: Math.min(from + 1, text.length), message: `Line ${result.line}, column ${result.column}: ${result.message}`, result };
  }
  if (result.value === null || typeof result.value !== 'object' || Array.isArray(result.value)) {
    return { from: 0, to: Math.min(1, text.length), message: 'Brand data must be a JSON object: { "name": … }', result };
  }
  return null;
}

/**
 * Mounts a JSON editor in `host` holding `text`. `label` names it for assistive technology;
 * `onChange(text)` runs after every change; `onSave()` on Ctrl/Cmd+S. Resolves to an object
 * with `text()`, `setText(text)`, `focus()` and `select(from, to)`.
 */
export async function mountJsonEditor(host, { text, label, onChange, onSave }) {
  const cm = await codemirror();
  const shadow = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  const parent = document.createElement('div');
  parent.style.height = '100%';
  shadow.replaceChildren(parent);
  const problems = cm.linter((view) => {
    const problem = brandDataProblem(view.state.doc.toString());
    return problem ? [{ from: problem.from, to: problem.to, severity: 'error', message: problem.message }] : [];
  }, { delay: 250 });
  const view = new cm.EditorView({
    parent,
    root: shadow,
    state: cm.EditorState.create({
      doc: text,
      extensions: [
        cm.editorSetup,
        cm.json(),
        problems,
        cm.lintGutter(),
        THEME(cm),
        cm.EditorState.tabSize.of(2),
        // tabindex: the editable area is focusable anyway; said outright, checkers see it too.
        cm.EditorView.contentAttributes.of({ 'aria-label': label, spellcheck: 'false', autocapitalize: 'off', autocorrect: 'off', tabindex: '0' }),
        cm.EditorView.domEventHandlers({
          keydown: (event) => {
            if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
              event.preventDefault();
              onSave?.();
              return true;
            }
            return false;
          },
        }),
        cm.EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange?.(update.state.doc.toString());
        }),
      ],
    }),
  });
  cm.forceLinting(view);
  return {
    view,
    text: () => view.state.doc.toString(),
    setText(next) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
    },
    focus() {
      view.focus();
    },
    /** Selects `from`–`to` and scrolls it into view (where an error is). */
    select(from, to = from) {
      const max = view.state.doc.length;
      view.dispatch({ selection: { anchor: Math.min(from, max), head: Math.min(to, max) }, scrollIntoView: true });
      view.focus();
    },
  };
}

/** The editor's look, in the page's colours and fonts. */
function THEME(cm) {
  return cm.EditorView.theme({
    '&': { height: '100%', fontSize: '13px', color: 'var(--text)', backgroundColor: 'var(--surface)' },
    '&.cm-focused': { outline: 'none' },
    '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.6', overflow: 'auto' },
    '.cm-content': { padding: '8px 0' },
    '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--muted)', borderRight: '1px solid var(--border)' },
    '.cm-activeLineGutter': { backgroundColor: 'var(--accent-weak)', color: 'var(--text)' },
    '.cm-activeLine': { backgroundColor: 'rgba(54, 81, 212, 0.05)' },
    '.cm-lint-marker': { width: '0.9em', height: '0.9em' },
    '.cm-tooltip': { fontFamily: 'var(--font)', fontSize: '13px', borderRadius: '6px' },
    '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
    '.cm-panels': { fontFamily: 'var(--font)' },
  });
}
