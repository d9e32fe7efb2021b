// The card's styles (view and edit mode), kept apart from its logic as mushroom keeps its
// card styles in their own module. Colours can be themed with --bobby-region-color and
// --bobby-region-on-color.
import { css } from "lit";

export const cardStyles = css`
  :host {
    display: block;
  }
  ha-card {
    overflow: hidden;
  }
  .picture {
    position: relative;
    width: 100%;
    background: #000;
    overflow: hidden;
  }
  .picture img,
  .picture svg,
  .unavailable {
    position: absolute;
    inset: 0;
    width: 100%;
    height: 100%;
  }
  .picture img {
    object-fit: fill;
    display: block;
  }
  .unavailable {
    display: flex;
    align-items: center;
    justify-content: center;
    color: #ccc;
  }
  svg {
    touch-action: auto;
    user-select: none;
    -webkit-user-select: none;
  }
  svg.editing {
    touch-action: none;
    cursor: crosshair;
  }
  polygon,
  polyline,
  rect {
    vector-effect: non-scaling-stroke;
  }
  /* View mode: each state's fills in one group whose opacity applies once, so overlapping
     regions keep one tint instead of darkening each other; outlines and chips on top. */
  .fills polygon {
    stroke: none;
  }
  .fills.off {
    fill: var(--bobby-region-color, #03a9f4);
    opacity: 0.1;
  }
  .fills.on {
    fill: var(--bobby-region-on-color, #ff9800);
    opacity: 0.3;
  }
  .region polygon {
    fill: none;
    stroke: var(--bobby-region-color, #03a9f4);
    stroke-width: 2;
  }
  .region.on polygon {
    stroke: var(--bobby-region-on-color, #ff9800);
    stroke-width: 3;
  }
  .region.edit polygon {
    fill: rgba(3, 169, 244, 0.08);
  }
  .region.selected polygon {
    fill: rgba(3, 169, 244, 0.25);
    stroke-width: 3;
  }
  .region.invalid polygon {
    stroke: var(--error-color, #db4437);
    stroke-dasharray: 6 4;
    fill: rgba(219, 68, 55, 0.2);
  }
  .chip {
    pointer-events: none;
  }
  .chip rect {
    fill: rgba(0, 0, 0, 0.65);
    stroke: none;
  }
  .chip text {
    fill: #fff;
    font-weight: 500;
  }
  .chip.score rect {
    fill: rgba(27, 94, 32, 0.88);
  }
  .chip.name rect {
    fill: rgba(1, 87, 155, 0.88);
  }
  .chip.name.on rect {
    fill: rgba(230, 81, 0, 0.92);
  }
  .chip.name.selected rect {
    stroke: #fff;
    stroke-width: 1.5;
  }
  .chip.name.invalid rect {
    fill: rgba(183, 28, 28, 0.9);
  }
  .leader {
    stroke: #4caf50;
    stroke-width: 1.5;
    vector-effect: non-scaling-stroke;
  }
  .box rect {
    fill: none;
    stroke: #4caf50;
    stroke-width: 2;
  }
  .box .foot {
    fill: #4caf50;
  }
  .vertex {
    fill: #fff;
    stroke: #03a9f4;
    stroke-width: 2;
    vector-effect: non-scaling-stroke;
    cursor: move;
  }
  .vertex.current {
    fill: #03a9f4;
  }
  .vertex.first {
    fill: #ffeb3b;
  }
  .mid {
    fill: rgba(255, 255, 255, 0.7);
    stroke: #03a9f4;
    stroke-width: 1;
    vector-effect: non-scaling-stroke;
    cursor: copy;
  }
  .drawing {
    fill: none;
    stroke: #ffeb3b;
    stroke-width: 2;
    stroke-dasharray: 5 3;
  }
  .area {
    fill: none;
    stroke-width: 1.5;
    stroke-dasharray: 4 4;
    pointer-events: none;
  }
  .min-area {
    stroke: #e91e63;
  }
  .max-area {
    stroke: #9c27b0;
  }
  .count {
    position: absolute;
    right: 8px;
    bottom: 8px;
    padding: 2px 8px;
    border-radius: 12px;
    background: rgba(0, 0, 0, 0.6);
    color: #fff;
    font-size: 14px;
    line-height: 20px;
    pointer-events: none;
  }
  .footer,
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 8px;
    align-items: center;
    padding: 8px 12px;
  }
  .footer .status {
    flex: 1 1 12em;
    font-size: 14px;
    color: var(--secondary-text-color);
  }
  button {
    font: inherit;
    padding: 6px 12px;
    border-radius: 6px;
    border: 1px solid var(--divider-color, #ccc);
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color);
    cursor: pointer;
    min-height: 36px;
  }
  button.primary {
    background: var(--primary-color, #03a9f4);
    color: var(--text-primary-color, #fff);
    border-color: transparent;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .edit {
    padding: 4px 0;
  }
  .hint,
  .regions-summary,
  .message {
    padding: 4px 12px;
    font-size: 13px;
    color: var(--secondary-text-color);
  }
  .message.error,
  .problems {
    color: var(--error-color, #db4437);
  }
  .problems {
    margin: 4px 12px;
    padding-left: 18px;
    font-size: 13px;
  }
  fieldset,
  details {
    margin: 4px 12px;
    border: 1px solid var(--divider-color, #ddd);
    border-radius: 6px;
    padding: 6px 10px;
  }
  label {
    display: flex;
    flex-direction: column;
    font-size: 12px;
    color: var(--secondary-text-color);
    margin: 4px 0;
  }
  input {
    font: inherit;
    font-size: 14px;
    padding: 6px;
    border: 1px solid var(--divider-color, #ccc);
    border-radius: 4px;
    background: var(--card-background-color, #fff);
    color: var(--primary-text-color);
  }
  .grid {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(11em, 1fr));
    gap: 0 12px;
  }
  /* A visit's clip, in place of the live picture, and the way back to it. */
  .clip-layer {
    position: absolute;
    inset: 0;
    background: #000;
  }
  .clip-layer video {
    width: 100%;
    height: 100%;
    display: block;
    object-fit: contain;
  }
  .clip-layer .back {
    position: absolute;
    top: 8px;
    left: 8px;
    min-height: 32px;
    padding: 4px 12px;
    border: none;
    border-radius: 16px;
    background: rgba(0, 0, 0, 0.65);
    color: #fff;
  }
  .clip-layer .back::before {
    content: "←";
    margin-right: 6px;
  }
  .clip-error {
    position: absolute;
    left: 8px;
    right: 8px;
    bottom: 56px;
    padding: 6px 10px;
    border-radius: 6px;
    background: rgba(183, 28, 28, 0.9);
    color: #fff;
    font-size: 13px;
  }
  /* The strip of recent visits: one row that scrolls sideways, newest first. */
  .visits {
    padding: 8px 12px 0;
  }
  .visits-message {
    font-size: 13px;
    color: var(--secondary-text-color);
    padding: 4px 0;
  }
  .visits-message.error {
    color: var(--error-color, #db4437);
  }
  .visit-list {
    display: flex;
    gap: 8px;
    margin: 0;
    padding: 0 0 6px;
    list-style: none;
    overflow-x: auto;
    scroll-snap-type: x proximity;
    scrollbar-width: thin;
  }
  .visit-list li {
    flex: 0 0 auto;
    scroll-snap-align: start;
  }
  .visit {
    display: flex;
    flex-direction: column;
    align-items: stretch;
    width: 128px;
    padding: 0;
    border: 2px solid transparent;
    border-radius: 8px;
    background: none;
    text-align: left;
    overflow: hidden;
  }
  .visit:disabled {
    opacity: 1;
  }
  .visit.active {
    border-color: var(--primary-color, #03a9f4);
  }
  .thumb {
    position: relative;
    display: block;
    width: 100%;
    aspect-ratio: 16 / 9;
    background: var(--secondary-background-color, #333);
    border-radius: 6px;
    overflow: hidden;
  }
  .thumb img {
    width: 100%;
    height: 100%;
    object-fit: cover;
    display: block;
  }
  .badge {
    position: absolute;
    right: 4px;
    bottom: 4px;
    padding: 0 6px;
    border-radius: 8px;
    background: rgba(0, 0, 0, 0.7);
    color: #fff;
    font-size: 11px;
    line-height: 18px;
  }
  .visit.recording .badge {
    background: rgba(198, 40, 40, 0.9);
  }
  .play {
    position: absolute;
    left: 50%;
    top: 50%;
    width: 28px;
    height: 28px;
    margin: -14px 0 0 -14px;
    border-radius: 50%;
    background: rgba(0, 0, 0, 0.55);
  }
  .play::after {
    content: "";
    position: absolute;
    left: 11px;
    top: 8px;
    border-style: solid;
    border-width: 6px 0 6px 10px;
    border-color: transparent transparent transparent #fff;
  }
  .when,
  .where {
    padding: 0 2px;
    font-size: 12px;
    line-height: 16px;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .when {
    margin-top: 2px;
    color: var(--primary-text-color);
  }
  .where {
    color: var(--secondary-text-color);
  }
  button.more {
    height: 72px;
    min-width: 72px;
  }
`;
