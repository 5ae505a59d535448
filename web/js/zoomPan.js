// Zoom and pan for the machine diagram, by rewriting the SVG's viewBox: buttons (zoom in,
// zoom out, fit), Ctrl/⌘ + wheel, dragging with the pointer, and the keyboard on the
// focused diagram (+, -, 0, arrow keys). The drawing itself never changes.

const MIN_ZOOM = 1;
const MAX_ZOOM = 4;
const STEP = 1.25;
const KEY_PAN = 40;

/**
 * @param {SVGSVGElement} svg
 * @param {HTMLElement} focusTarget the element that takes keyboard input (the diagram's box)
 * @returns {{ zoomIn(): void, zoomOut(): void, fit(): void, readonly zoom: number }}
 */
export function attachZoomPan(svg, focusTarget) {
  const base = svg.viewBox.baseVal;
  const full = { x: base.x, y: base.y, w: base.width, h: base.height };
  let zoom = 1;
  let cx = full.x + full.w / 2;
  let cy = full.y + full.h / 2;

  const apply = () => {
    const w = full.w / zoom;
    const h = full.h / zoom;
    // Keep the view inside the drawing: nothing to find beyond its edges.
    cx = Math.min(Math.max(cx, full.x + w / 2), full.x + full.w - w / 2);
    cy = Math.min(Math.max(cy, full.y + h / 2), full.y + full.h - h / 2);
    svg.setAttribute('viewBox', `${cx - w / 2} ${cy - h / 2} ${w} ${h}`);
    svg.dataset['zoom'] = zoom.toFixed(2);
    svg.classList.toggle('is-zoomed', zoom > MIN_ZOOM);
  };
  /** @param {number} next */
  const setZoom = (next) => {
    zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, next));
    apply();
  };
  /** Drawing units per screen pixel, now. */
  const unitsPerPx = () => full.w / zoom / Math.max(1, svg.getBoundingClientRect().width);

  svg.addEventListener(
    'wheel',
    (e) => {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      setZoom(e.deltaY < 0 ? zoom * STEP : zoom / STEP);
    },
    { passive: false },
  );

  /** @type {{ x: number, y: number, id: number } | undefined} */
  let drag;
  svg.addEventListener('pointerdown', (e) => {
    if (zoom === MIN_ZOOM || e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, id: e.pointerId };
    svg.setPointerCapture(e.pointerId);
    svg.classList.add('is-panning');
  });
  svg.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const k = unitsPerPx();
    cx -= (e.clientX - drag.x) * k;
    cy -= (e.clientY - drag.y) * k;
    drag.x = e.clientX;
    drag.y = e.clientY;
    apply();
  });
  const endDrag = () => {
    drag = undefined;
    svg.classList.remove('is-panning');
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);

  focusTarget.addEventListener('keydown', (e) => {
    const k = unitsPerPx() * KEY_PAN;
    /** @type {Record<string, () => void>} */
    const keys = {
      '+': () => setZoom(zoom * STEP),
      '=': () => setZoom(zoom * STEP),
      '-': () => setZoom(zoom / STEP),
      0: () => setZoom(MIN_ZOOM),
      ArrowLeft: () => ((cx -= k), apply()),
      ArrowRight: () => ((cx += k), apply()),
      ArrowUp: () => ((cy -= k), apply()),
      ArrowDown: () => ((cy += k), apply()),
    };
    const act = keys[e.key];
    // Arrow keys scroll the box as usual until the diagram is zoomed.
    if (!act || (e.key.startsWith('Arrow') && zoom === MIN_ZOOM)) return;
    e.preventDefault();
    act();
  });

  apply();
  return {
    zoomIn: () => setZoom(zoom * STEP),
    zoomOut: () => setZoom(zoom / STEP),
    fit: () => {
      cx = full.x + full.w / 2;
      cy = full.y + full.h / 2;
      setZoom(MIN_ZOOM);
    },
    get zoom() {
      return zoom;
    },
  };
}
