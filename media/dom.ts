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
