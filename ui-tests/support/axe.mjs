// axe-core's WCAG 2.1 A and AA rules run in the page: the one place the browser tests ask it.

import { createRequire } from 'node:module';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The violations in the page now (or inside the element `within` selects), each as
 * "rule: target — the first lines of its failure summary". The page needs `bypassCSP` to load axe.
 */
export async function axeViolations(page, { within = null } = {}) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async ({ tags, within }) => {
    const context = within ? document.querySelector(within) : document;
    const result = await window.axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(0, 2).join(' ')}`));
  }, { tags: TAGS, within });
}
