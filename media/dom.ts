// Building the webviews' DOM: elements with text set through textContent, never HTML from input.
// Shared by the panel (media/main.ts) and the review view (media/review.ts).

export type Props = { id?: string; className?: string; text?: string; title?: string; attrs?: Record<string, string> };

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.id) node.id = props.id;
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// The script elements the page had when our script started: ours, and the one VS Code puts in every
// webview (acquireVsCodeApi). Any other was made later, by rendering.
const scriptsAtLoad = new Set(Array.from(document.scripts));

// The drawings our own code built element by element (the picture of the hazard's <svg>): their
// elements are ours, not markup from input. A WeakSet rather than a class or attribute, which
// markup could carry too.
const ownDrawings = new WeakSet<Element>();

/** Mark `root` as a drawing built by our code (createElementNS and textContent only). */
export function markOwnDrawing(root: Element): void {
  ownDrawings.add(root);
}

function insideOwnDrawing(node: Element): boolean {
  for (let n: Element | null = node; n; n = n.parentElement) if (ownDrawings.has(n)) return true;
  return false;
}

/**
 * What a document holds now, for the `inspect` request: elements by tag (outside our own drawings),
 * scripts made since load, on… attributes (everywhere), its text.
 */
export function inspectDocument(doc: Document): { elements: Record<string, number>; scriptsSinceLoad: number; handlers: number; text: string } {
  const elements: Record<string, number> = {};
  let handlers = 0;
  for (const node of Array.from(doc.querySelectorAll('*'))) {
    const tag = node.tagName.toLowerCase();
    if (!insideOwnDrawing(node)) elements[tag] = (elements[tag] ?? 0) + 1;
    for (const a of Array.from(node.attributes)) if (a.name.toLowerCase().startsWith('on')) handlers++;
  }
  const scriptsSinceLoad = Array.from(doc.querySelectorAll('script')).filter((s) => !scriptsAtLoad.has(s)).length;
  return { elements, scriptsSinceLoad, handlers, text: doc.body.textContent ?? '' };
}
