// The ARIA tabs pattern with automatic activation: one tab in the Tab order (roving tabindex),
// Left/Right arrows move between tabs, Home/End jump to the first/last.

export class Tabs {
  /** `onSelect(id)` runs whenever a tab becomes selected; ids come from `data-tab`. */
  constructor(tablist, onSelect) {
    this.tablist = tablist;
    this.tabs = [...tablist.querySelectorAll('[role="tab"]')];
    this.onSelect = onSelect;
    tablist.addEventListener('click', (e) => {
      const tab = e.target.closest('[role="tab"]');
      if (tab) this.select(tab.dataset.tab);
    });
    tablist.addEventListener('keydown', (e) => this.keydown(e));
  }

  get selected() {
    return this.tabs.find((t) => t.getAttribute('aria-selected') === 'true')?.dataset.tab;
  }

  keydown(event) {
    const index = this.tabs.indexOf(document.activeElement);
    if (index < 0) return;
    const last = this.tabs.length - 1;
    const target = {
      ArrowRight: index === last ? 0 : index + 1,
      ArrowLeft: index === 0 ? last : index - 1,
      Home: 0,
      End: last,
    }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.select(this.tabs[target].dataset.tab, { focus: true });
  }

  select(id, { focus = false } = {}) {
    for (const tab of this.tabs) {
      const on = tab.dataset.tab === id;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      document.getElementById(tab.getAttribute('aria-controls')).hidden = !on;
      if (on && focus) tab.focus();
    }
    this.onSelect(id);
  }
}
