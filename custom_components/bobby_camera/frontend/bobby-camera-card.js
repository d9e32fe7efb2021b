// Bobby Camera card: built from frontend/ by `make frontend`; do not edit.
var ne=globalThis,se=ne.ShadowRoot&&(ne.ShadyCSS===void 0||ne.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,we=Symbol(),je=new WeakMap,W=class{constructor(e,t,i){if(this._$cssResult$=!0,i!==we)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(se&&e===void 0){let i=t!==void 0&&t.length===1;i&&(e=je.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),i&&je.set(t,e))}return e}toString(){return this.cssText}},Ve=n=>new W(typeof n=="string"?n:n+"",void 0,we),B=(n,...e)=>{let t=n.length===1?n[0]:e.reduce((i,s,r)=>i+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(s)+n[r+1],n[0]);return new W(t,n,we)},We=(n,e)=>{if(se)n.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let i=document.createElement("style"),s=ne.litNonce;s!==void 0&&i.setAttribute("nonce",s),i.textContent=t.cssText,n.appendChild(i)}},Pe=se?n=>n:n=>n instanceof CSSStyleSheet?(e=>{let t="";for(let i of e.cssRules)t+=i.cssText;return Ve(t)})(n):n;var{is:At,defineProperty:Ct,getOwnPropertyDescriptor:Mt,getOwnPropertyNames:kt,getOwnPropertySymbols:Rt,getPrototypeOf:Tt}=Object,re=globalThis,Be=re.trustedTypes,Nt=Be?Be.emptyScript:"",Dt=re.reactiveElementPolyfillSupport,X=(n,e)=>n,Se={toAttribute(n,e){switch(e){case Boolean:n=n?Nt:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,e){let t=n;switch(e){case Boolean:t=n!==null;break;case Number:t=n===null?null:Number(n);break;case Object:case Array:try{t=JSON.parse(n)}catch{t=null}}return t}},Ge=(n,e)=>!At(n,e),Xe={attribute:!0,type:String,converter:Se,reflect:!1,useDefault:!1,hasChanged:Ge};Symbol.metadata??=Symbol("metadata"),re.litPropertyMetadata??=new WeakMap;var D=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=Xe){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let i=Symbol(),s=this.getPropertyDescriptor(e,i,t);s!==void 0&&Ct(this.prototype,e,s)}}static getPropertyDescriptor(e,t,i){let{get:s,set:r}=Mt(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:s,set(o){let d=s?.call(this);r?.call(this,o),this.requestUpdate(e,d,i)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??Xe}static _$Ei(){if(this.hasOwnProperty(X("elementProperties")))return;let e=Tt(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(X("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(X("properties"))){let t=this.properties,i=[...kt(t),...Rt(t)];for(let s of i)this.createProperty(s,t[s])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[i,s]of t)this.elementProperties.set(i,s)}this._$Eh=new Map;for(let[t,i]of this.elementProperties){let s=this._$Eu(t,i);s!==void 0&&this._$Eh.set(s,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let i=new Set(e.flat(1/0).reverse());for(let s of i)t.unshift(Pe(s))}else e!==void 0&&t.push(Pe(e));return t}static _$Eu(e,t){let i=t.attribute;return i===!1?void 0:typeof i=="string"?i:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let i of t.keys())this.hasOwnProperty(i)&&(e.set(i,this[i]),delete this[i]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return We(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,i){this._$AK(e,i)}_$ET(e,t){let i=this.constructor.elementProperties.get(e),s=this.constructor._$Eu(e,i);if(s!==void 0&&i.reflect===!0){let r=(i.converter?.toAttribute!==void 0?i.converter:Se).toAttribute(t,i.type);this._$Em=e,r==null?this.removeAttribute(s):this.setAttribute(s,r),this._$Em=null}}_$AK(e,t){let i=this.constructor,s=i._$Eh.get(e);if(s!==void 0&&this._$Em!==s){let r=i.getPropertyOptions(s),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:Se;this._$Em=s;let d=o.fromAttribute(t,r.type);this[s]=d??this._$Ej?.get(s)??d,this._$Em=null}}requestUpdate(e,t,i,s=!1,r){if(e!==void 0){let o=this.constructor;if(s===!1&&(r=this[e]),i??=o.getPropertyOptions(e),!((i.hasChanged??Ge)(r,t)||i.useDefault&&i.reflect&&r===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,i))))return;this.C(e,t,i)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:i,reflect:s,wrapped:r},o){i&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),r!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||i||(t=void 0),this._$AL.set(e,t)),s===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,r]of this._$Ep)this[s]=r;this._$Ep=void 0}let i=this.constructor.elementProperties;if(i.size>0)for(let[s,r]of i){let{wrapped:o}=r,d=this[s];o!==!0||this._$AL.has(s)||d===void 0||this.C(s,void 0,r,d)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(i=>i.hostUpdate?.()),this.update(t)):this._$EM()}catch(i){throw e=!1,this._$EM(),i}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};D.elementStyles=[],D.shadowRootOptions={mode:"open"},D[X("elementProperties")]=new Map,D[X("finalized")]=new Map,Dt?.({ReactiveElement:D}),(re.reactiveElementVersions??=[]).push("2.1.2");var Te=globalThis,Ke=n=>n,oe=Te.trustedTypes,qe=oe?oe.createPolicy("lit-html",{createHTML:n=>n}):void 0,tt="$lit$",H=`lit$${Math.random().toFixed(9).slice(2)}$`,it="?"+H,Ht=`<${it}>`,U=document,K=()=>U.createComment(""),q=n=>n===null||typeof n!="object"&&typeof n!="function",Ne=Array.isArray,Ot=n=>Ne(n)||typeof n?.[Symbol.iterator]=="function",Ee=`[ 	
\f\r]`,G=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Ye=/-->/g,Je=/>/g,O=RegExp(`>|${Ee}(?:([^\\s"'>=/]+)(${Ee}*=${Ee}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Ze=/'/g,Qe=/"/g,nt=/^(?:script|style|textarea|title)$/i,De=n=>(e,...t)=>({_$litType$:n,strings:e,values:t}),y=De(1),E=De(2),ci=De(3),z=Symbol.for("lit-noChange"),b=Symbol.for("lit-nothing"),et=new WeakMap,I=U.createTreeWalker(U,129);function st(n,e){if(!Ne(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return qe!==void 0?qe.createHTML(e):e}var It=(n,e)=>{let t=n.length-1,i=[],s,r=e===2?"<svg>":e===3?"<math>":"",o=G;for(let d=0;d<t;d++){let c=n[d],a,l,h=-1,m=0;for(;m<c.length&&(o.lastIndex=m,l=o.exec(c),l!==null);)m=o.lastIndex,o===G?l[1]==="!--"?o=Ye:l[1]!==void 0?o=Je:l[2]!==void 0?(nt.test(l[2])&&(s=RegExp("</"+l[2],"g")),o=O):l[3]!==void 0&&(o=O):o===O?l[0]===">"?(o=s??G,h=-1):l[1]===void 0?h=-2:(h=o.lastIndex-l[2].length,a=l[1],o=l[3]===void 0?O:l[3]==='"'?Qe:Ze):o===Qe||o===Ze?o=O:o===Ye||o===Je?o=G:(o=O,s=void 0);let p=o===O&&n[d+1].startsWith("/>")?" ":"";r+=o===G?c+Ht:h>=0?(i.push(a),c.slice(0,h)+tt+c.slice(h)+H+p):c+H+(h===-2?d:p)}return[st(n,r+(n[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),i]},Y=class n{constructor({strings:e,_$litType$:t},i){let s;this.parts=[];let r=0,o=0,d=e.length-1,c=this.parts,[a,l]=It(e,t);if(this.el=n.createElement(a,i),I.currentNode=this.el.content,t===2||t===3){let h=this.el.content.firstChild;h.replaceWith(...h.childNodes)}for(;(s=I.nextNode())!==null&&c.length<d;){if(s.nodeType===1){if(s.hasAttributes())for(let h of s.getAttributeNames())if(h.endsWith(tt)){let m=l[o++],p=s.getAttribute(h).split(H),g=/([.?@])?(.*)/.exec(m);c.push({type:1,index:r,name:g[2],strings:p,ctor:g[1]==="."?Ce:g[1]==="?"?Me:g[1]==="@"?ke:j}),s.removeAttribute(h)}else h.startsWith(H)&&(c.push({type:6,index:r}),s.removeAttribute(h));if(nt.test(s.tagName)){let h=s.textContent.split(H),m=h.length-1;if(m>0){s.textContent=oe?oe.emptyScript:"";for(let p=0;p<m;p++)s.append(h[p],K()),I.nextNode(),c.push({type:2,index:++r});s.append(h[m],K())}}}else if(s.nodeType===8)if(s.data===it)c.push({type:2,index:r});else{let h=-1;for(;(h=s.data.indexOf(H,h+1))!==-1;)c.push({type:7,index:r}),h+=H.length-1}r++}}static createElement(e,t){let i=U.createElement("template");return i.innerHTML=e,i}};function F(n,e,t=n,i){if(e===z)return e;let s=i!==void 0?t._$Co?.[i]:t._$Cl,r=q(e)?void 0:e._$litDirective$;return s?.constructor!==r&&(s?._$AO?.(!1),r===void 0?s=void 0:(s=new r(n),s._$AT(n,t,i)),i!==void 0?(t._$Co??=[])[i]=s:t._$Cl=s),s!==void 0&&(e=F(n,s._$AS(n,e.values),s,i)),e}var Ae=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:i}=this._$AD,s=(e?.creationScope??U).importNode(t,!0);I.currentNode=s;let r=I.nextNode(),o=0,d=0,c=i[0];for(;c!==void 0;){if(o===c.index){let a;c.type===2?a=new J(r,r.nextSibling,this,e):c.type===1?a=new c.ctor(r,c.name,c.strings,this,e):c.type===6&&(a=new Re(r,this,e)),this._$AV.push(a),c=i[++d]}o!==c?.index&&(r=I.nextNode(),o++)}return I.currentNode=U,s}p(e){let t=0;for(let i of this._$AV)i!==void 0&&(i.strings!==void 0?(i._$AI(e,i,t),t+=i.strings.length-2):i._$AI(e[t])),t++}},J=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,i,s){this.type=2,this._$AH=b,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=i,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=F(this,e,t),q(e)?e===b||e==null||e===""?(this._$AH!==b&&this._$AR(),this._$AH=b):e!==this._$AH&&e!==z&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Ot(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==b&&q(this._$AH)?this._$AA.nextSibling.data=e:this.T(U.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:i}=e,s=typeof i=="number"?this._$AC(e):(i.el===void 0&&(i.el=Y.createElement(st(i.h,i.h[0]),this.options)),i);if(this._$AH?._$AD===s)this._$AH.p(t);else{let r=new Ae(s,this),o=r.u(this.options);r.p(t),this.T(o),this._$AH=r}}_$AC(e){let t=et.get(e.strings);return t===void 0&&et.set(e.strings,t=new Y(e)),t}k(e){Ne(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,i,s=0;for(let r of e)s===t.length?t.push(i=new n(this.O(K()),this.O(K()),this,this.options)):i=t[s],i._$AI(r),s++;s<t.length&&(this._$AR(i&&i._$AB.nextSibling,s),t.length=s)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let i=Ke(e).nextSibling;Ke(e).remove(),e=i}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},j=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,i,s,r){this.type=1,this._$AH=b,this._$AN=void 0,this.element=e,this.name=t,this._$AM=s,this.options=r,i.length>2||i[0]!==""||i[1]!==""?(this._$AH=Array(i.length-1).fill(new String),this.strings=i):this._$AH=b}_$AI(e,t=this,i,s){let r=this.strings,o=!1;if(r===void 0)e=F(this,e,t,0),o=!q(e)||e!==this._$AH&&e!==z,o&&(this._$AH=e);else{let d=e,c,a;for(e=r[0],c=0;c<r.length-1;c++)a=F(this,d[i+c],t,c),a===z&&(a=this._$AH[c]),o||=!q(a)||a!==this._$AH[c],a===b?e=b:e!==b&&(e+=(a??"")+r[c+1]),this._$AH[c]=a}o&&!s&&this.j(e)}j(e){e===b?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},Ce=class extends j{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===b?void 0:e}},Me=class extends j{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==b)}},ke=class extends j{constructor(e,t,i,s,r){super(e,t,i,s,r),this.type=5}_$AI(e,t=this){if((e=F(this,e,t,0)??b)===z)return;let i=this._$AH,s=e===b&&i!==b||e.capture!==i.capture||e.once!==i.once||e.passive!==i.passive,r=e!==b&&(i===b||s);s&&this.element.removeEventListener(this.name,this,i),r&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},Re=class{constructor(e,t,i){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=i}get _$AU(){return this._$AM._$AU}_$AI(e){F(this,e)}};var Ut=Te.litHtmlPolyfillSupport;Ut?.(Y,J),(Te.litHtmlVersions??=[]).push("3.3.3");var rt=(n,e,t)=>{let i=t?.renderBefore??e,s=i._$litPart$;if(s===void 0){let r=t?.renderBefore??null;i._$litPart$=s=new J(e.insertBefore(K(),r),r,void 0,t??{})}return s._$AI(n),s};var He=globalThis,R=class extends D{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=rt(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return z}};R._$litElement$=!0,R.finalized=!0,He.litElementHydrateSupport?.({LitElement:R});var zt=He.litElementPolyfillSupport;zt?.({LitElement:R});(He.litElementVersions??=[]).push("4.2.2");var ot=B`
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
`;var ce=n=>n<0?0:n>1?1:n,A=n=>Math.round(n*1e6)/1e6;function at(n,e,t){return t.width<=0||t.height<=0?[0,0]:[A(ce((n-t.left)/t.width)),A(ce((e-t.top)/t.height))]}function Z(n,e){let t=!1;for(let i=0,s=e.length-1;i<e.length;s=i++){let[r,o]=e[i],[d,c]=e[s];o>n[1]!=c>n[1]&&n[0]<(d-r)*(n[1]-o)/(c-o)+r&&(t=!t)}return t}var V=(n,e,t)=>(e[0]-n[0])*(t[1]-n[1])-(e[1]-n[1])*(t[0]-n[0]),ae=(n,e,t)=>Math.min(n[0],e[0])-1e-12<=t[0]&&t[0]<=Math.max(n[0],e[0])+1e-12&&Math.min(n[1],e[1])-1e-12<=t[1]&&t[1]<=Math.max(n[1],e[1])+1e-12;function Lt(n,e,t,i){let s=V(t,i,n),r=V(t,i,e),o=V(n,e,t),d=V(n,e,i);return(s>1e-12&&r<-1e-12||s<-1e-12&&r>1e-12)&&(o>1e-12&&d<-1e-12||o<-1e-12&&d>1e-12)?!0:Math.abs(s)<=1e-12&&ae(t,i,n)||Math.abs(r)<=1e-12&&ae(t,i,e)||Math.abs(o)<=1e-12&&ae(n,e,t)||Math.abs(d)<=1e-12&&ae(n,e,i)}function ct(n){let e=n.length;if(e<3)return"too_few_points";if(e>64)return"too_many_points";for(let[t,i]of n)if(!Number.isFinite(t)||!Number.isFinite(i)||t<0||t>1||i<0||i>1)return"point_out_of_range";for(let t=0;t<e;t++){let i=n[t],s=n[(t+1)%e];if(Math.abs(i[0]-s[0])<=1e-12&&Math.abs(i[1]-s[1])<=1e-12)return"degenerate_polygon"}if(n.slice(2).every(t=>Math.abs(V(n[0],n[1],t))<=1e-12))return"degenerate_polygon";for(let t=0;t<e;t++)for(let i=t+1;i<e;i++){let[s,r]=[n[t],n[(t+1)%e]],[o,d]=[n[i],n[(i+1)%e]];if(i===t+1||t===0&&i===e-1){let[c,a,l]=i===t+1?[r,s,d]:[s,r,o],h=(a[0]-c[0])*(l[0]-c[0])+(a[1]-c[1])*(l[1]-c[1]);if(Math.abs(V(c,a,l))<=1e-12&&h>0)return"self_intersecting";continue}if(Lt(s,r,o,d))return"self_intersecting"}return null}function Ft(n,e,t,i){return Math.hypot((n[0]-e[0])*t,(n[1]-e[1])*i)}function le(n,e,t,i,s){let r=-1,o=s;return e.forEach((d,c)=>{let a=Ft(n,d,t,i);a<=o&&(r=c,o=a)}),r}function de(n){return n.map((e,t)=>{let i=n[(t+1)%n.length];return[A((e[0]+i[0])/2),A((e[1]+i[1])/2)]})}function lt(n,e){for(let t=e.length-1;t>=0;t--)if(e[t].length>=3&&Z(n,e[t]))return t;return-1}function dt(n,e,t){if(!n.length)return[];let i=n.map(d=>d[0]),s=n.map(d=>d[1]),r=Math.min(Math.max(e,-Math.min(...i)),1-Math.max(...i)),o=Math.min(Math.max(t,-Math.min(...s)),1-Math.max(...s));return n.map(([d,c])=>[A(ce(d+r)),A(ce(c+o))])}var ht=n=>[(n[0]+n[2])/2,n[3]];function ut(n){let e=Math.sqrt(Math.min(Math.max(n,0),1)),t=(1-e)/2;return[t,t,t+e,t+e]}var jt=30,Vt=3600,pe=32,gt={labels:["person"],threshold:.5,min_area:0,max_area:1,frames_needed:2,frames_window:3,clear_after:10};function Oe(n){return n.normalize("NFKD").replace(/[\u0300-\u036f]/g,"").toLowerCase().replace(/[^a-z0-9]+/g,"_").replace(/^_+|_+$/g,"").slice(0,32).replace(/_+$/g,"")}var he=n=>typeof n=="number"&&Number.isFinite(n)&&n>=0&&n<=1,ue=class{constructor(e=[],t={}){this.selected=-1;this.selectedPoint=-1;this.drawing=null;this.dirty=!1;this.drag=null;this.regions=e.map(i=>({...i,points:i.points.map(s=>[s[0],s[1]]),labels:[...i.labels?.length?i.labels:["person"]]})),this.detection={...gt,...t,labels:[...t.labels??gt.labels]},this.originalNames=new Map}get dragging(){return this.drag!==null}newName(e="Region"){let t=new Set(this.regions.map(s=>Oe(s.name))),i=this.regions.length+1;for(;t.has(Oe(`${e} ${i}`));)i++;return`${e} ${i}`}startDrawing(){this.drawing=[],this.selected=-1,this.selectedPoint=-1}cancelDrawing(){this.drawing=null}closeDrawing(e){return!this.drawing||this.drawing.length<3?-1:(this.regions.push({name:e??this.newName(),points:this.drawing,labels:["person"]}),this.drawing=null,this.dirty=!0,this.selected=this.regions.length-1,this.selectedPoint=-1,this.selected)}select(e){this.selected=e>=0&&e<this.regions.length?e:-1,this.selectedPoint=-1}movePoint(e,t,i){let s=this.regions[e];!s||t<0||t>=s.points.length||(s.points[t]=[A(i[0]),A(i[1])],this.dirty=!0)}insertPoint(e,t,i){let s=this.regions[e];return!s||s.points.length>=64?-1:(s.points.splice(t+1,0,[A(i[0]),A(i[1])]),this.dirty=!0,t+1)}removePoint(e,t){let i=this.regions[e];!i||t<0||t>=i.points.length||(i.points.splice(t,1),this.selected===e&&(this.selectedPoint=-1),this.dirty=!0)}moveRegion(e,t,i,s){let r=this.regions[e];r&&(r.points=dt(t,i,s),this.dirty=!0)}rename(e,t){let i=this.regions[e];i&&(i.id!==void 0&&!this.originalNames.has(e)&&this.originalNames.set(e,i.name),i.name=t,this.dirty=!0)}deleteRegion(e){if(e<0||e>=this.regions.length)return;this.regions.splice(e,1);let t=[...this.originalNames.entries()];this.originalNames.clear();for(let[i,s]of t)i!==e&&this.originalNames.set(i>e?i-1:i,s);this.selected=-1,this.selectedPoint=-1,this.dirty=!0}setLabels(e,t){let i=this.regions[e];i&&(i.labels=[...new Set(t.map(s=>s.trim()).filter(Boolean))],this.dirty=!0)}setMinScore(e,t){let i=this.regions[e];i&&(t===null?delete i.min_score:i.min_score=t,this.dirty=!0)}setDetection(e,t){this.detection={...this.detection,[e]:t},this.dirty=!0}pointerDown(e,t,i,s){if(this.drawing)return this.drawing.length>=3&&le(e,[this.drawing[0]],t,i,s)===0?(this.closeDrawing(),"closed"):this.drawing.length>=64?"none":(this.drawing.push([A(e[0]),A(e[1])]),"added");let r=this.regions[this.selected];if(r){let c=le(e,r.points,t,i,s);if(c>=0)return this.selectedPoint=c,this.drag={kind:"point",region:this.selected,index:c},"drag-point";let a=le(e,de(r.points),t,i,s);if(a>=0){let l=this.insertPoint(this.selected,a,e);if(l>=0)return this.selectedPoint=l,this.drag={kind:"point",region:this.selected,index:l},"inserted"}}let o=lt(e,this.regions.map(c=>c.points));if(o>=0)return o!==this.selected?this.select(o):this.selectedPoint=-1,this.drag={kind:"region",region:o,start:e,original:this.regions[o].points.map(c=>[c[0],c[1]])},"drag-region";let d=this.selected>=0;return this.select(-1),d?"deselected":"none"}pointerMove(e){let t=this.drag;return t?(t.kind==="point"?this.movePoint(t.region,t.index,e):this.moveRegion(t.region,t.original,e[0]-t.start[0],e[1]-t.start[1]),!0):!1}pointerUp(){this.drag=null}regionProblems(){let e=this.regions.map((t,i)=>this.payloadId(t,i)??Oe(t.name));return this.regions.map((t,i)=>{let s=ct(t.points);return s||(e[i]?e.indexOf(e[i])!==i?"duplicate_name":t.labels.length?t.min_score!=null&&!he(t.min_score)?"invalid_min_score":null:"invalid_labels":"invalid_name")})}detectionProblem(){let e=this.detection;return e.labels.length?he(e.threshold)?!he(e.min_area)||!he(e.max_area)||e.min_area>=e.max_area?"invalid_area":!(Number.isInteger(e.frames_needed)&&Number.isInteger(e.frames_window))||e.frames_needed<1||e.frames_needed>e.frames_window||e.frames_window>jt?"invalid_frames":!Number.isFinite(e.clear_after)||e.clear_after<0||e.clear_after>Vt?"invalid_clear_after":null:"invalid_threshold":"invalid_labels"}get valid(){return!this.drawing&&this.detectionProblem()===null&&this.regionProblems().every(e=>e===null)}payloadId(e,t){if(e.id===void 0)return;let i=this.originalNames.get(t);return i===void 0||i===e.name?e.id:void 0}payload(){return{rois:this.regions.map((e,t)=>{let i={name:e.name.trim(),points:e.points.map(r=>[r[0],r[1]]),labels:[...e.labels]},s=this.payloadId(e,t);return s!==void 0&&(i.id=s),e.min_score!=null&&(i.min_score=e.min_score),i}),detection:{...this.detection,labels:[...this.detection.labels]}}}};function Ie(n,e){return e?{...n,camera_entity:e.camera_entity??n.camera_entity,person_entity:e.person_entity??n.person_entity,count_entity:e.count_entity??n.count_entity,region_entities:{...n.region_entities,...e.region_entities}}:n}function _t(n,e){n.dispatchEvent(new CustomEvent("config-changed",{detail:{config:e},bubbles:!0,composed:!0}))}var me=n=>n?.locale?.language??n?.language??"en";var be=n=>`${Math.round(Math.min(Math.max(n,0),1)*100)}%`,vt=(n,e)=>`${n} ${be(e)}`,ge=(n,e,t=0)=>n.x<e.x+e.w+t&&e.x<n.x+n.w+t&&n.y<e.y+e.h+t&&e.y<n.y+n.h+t,Wt=(n,e)=>Math.max(0,Math.min(n.x+n.w,e.x+e.w)-Math.max(n.x,e.x))*Math.max(0,Math.min(n.y+n.h,e.y+e.h)-Math.max(n.y,e.y)),_e=(n,e)=>n.measure(e)+2*n.pad,Bt=(n,e)=>n.x>=-1e-9&&n.y>=-1e-9&&n.x+n.w<=e.width+1e-9&&n.y+n.h<=e.height+1e-9;function fe(n,e){return n.w>e.width||n.h>e.height?null:{...n,x:Math.min(Math.max(n.x,0),e.width-n.w),y:Math.min(Math.max(n.y,0),e.height-n.h)}}function Xt(n,e,t,i){let[s,r,o,d]=n,c=o-e,a=[[s,r-t],[s,d],[s,r],[c,r-t],[c,d],[s,d-t],[c,r],[c,d-t]];for(let l=1;l<=6;l++)for(let h of[l*i,-l*i])a.push([s+h,r-t],[s+h,d],[s+h,r]);for(let l=1;l<=4;l++)for(let h of[0,i,-i,2*i,-2*i])a.push([s+h,r-t-l*(t+i/4)],[s+h,d+l*(t+i/4)]);return a}function Gt(n,e,t){let i=(l,h,m,p)=>{if(h<m)return[h,m,m-h];if(p<l)return[l,p,l-p];let g=(Math.max(l,m)+Math.min(h,p))/2;return[g,g,0]},[s,r,o]=i(n.x,n.x+n.w,e.x,e.x+e.w),[d,c,a]=i(n.y,n.y+n.h,e.y,e.y+e.h);return Math.hypot(o,a)<=t?null:[s,d,r,c]}function yt(n,e,t=[]){let i=e.lineHeight,s=n.map(({box:[p,g,v,M]})=>({x:p,y:g,w:Math.max(0,v-p),h:Math.max(0,M-g)})),r=n.map(p=>({rect:null,text:p.text,mergedInto:-1,leader:null})),o=[],d=(p,g=-1)=>Bt(p,e)&&!t.some(v=>ge(p,v,e.gap))&&!o.some(v=>v!==g&&r[v].rect!==null&&ge(p,r[v].rect,e.gap)),c=(p,g,v=-1)=>{let M=_e(e,g),T=null,u=1/0,_=Xt(n[p].box,M,i,i);for(let P=0;P<_.length&&P<u;P++){let S=fe({x:_[P][0],y:_[P][1],w:M,h:i},e);if(!S||!d(S,v))continue;let f=s.reduce((N,L,ie)=>ie===p?N:N+Wt(S,L),0)/(M*i),$=P+6*f;$<u&&(u=$,T=S)}return T},a=n.map((p,g)=>g).sort((p,g)=>n[g].priority-n[p].priority||p-g),l=[];for(let p of a){for(let g of[n[p].text,n[p].short]){let v=c(p,g);if(v){r[p]={...r[p],rect:v,text:g},o.push(p);break}}r[p].rect||l.push(p)}let h=p=>[s[p].x+s[p].w/2,s[p].y+s[p].h/2],m=new Map;for(let p of l){let[g,v]=h(p),T=o.filter(u=>ge(s[u],s[p],2*i)).sort((u,_)=>Math.hypot(...ft(h(u),[g,v]))-Math.hypot(...ft(h(_),[g,v]))||u-_);for(let u of T){let _=[...m.get(u)??[],p],S=`${r[u].text.replace(/ \+\d+$/,"")} +${_.length}`,f=fe({...r[u].rect,w:_e(e,S)},e),$=f&&d(f,u)?f:c(u,S,u);if($){r[u]={...r[u],rect:$,text:S},m.set(u,_),r[p]={...r[p],mergedInto:u};break}}}for(let p of o)r[p].leader=Gt(r[p].rect,s[p],e.gap+1);return r}var ft=(n,e)=>[n[0]-e[0],n[1]-e[1]],bt=n=>Math.abs(n.reduce((e,[t,i],s)=>{let[r,o]=n[(s+1)%n.length];return e+t*o-r*i},0))/2;function $t(n,e,t=[],i="corner"){let s=e.lineHeight,r=new Array(n.length),o=[...t],d=n.map((c,a)=>a).sort((c,a)=>bt(n[c].points)-bt(n[a].points)||c-a);for(let c of d){let{points:a,text:l}=n[c],h=a.length||1,m=a.reduce((f,$)=>f+$[0],0)/h,p=a.reduce((f,$)=>f+$[1],0)/h,g=a.map(f=>f[0]),v=a.map(f=>f[1]),[M,T,u,_]=[Math.min(...g),Math.max(...g),Math.min(...v),Math.max(...v)],P=[l];for(let f=l.length-1;f>=3;f=Math.min(f-1,Math.floor(f*.75)))P.push(`${l.slice(0,f).trimEnd()}…`);let S;for(let f of P){let $=_e(e,f),N=[],L=12;for(let x=0;x<=L;x++)for(let w=0;w<=L;w++){let k=[M+(T-M)*x/L,u+(_-u)*w/L];N.push({c:k,inside:Z(k,a),d:Math.hypot(k[0]-m,k[1]-p)})}for(let x=1;x<=8;x++)for(let w=0;w<16;w++){let k=[m+Math.cos(w*Math.PI/8)*x*s*1.5,p+Math.sin(w*Math.PI/8)*x*s];N.push({c:k,inside:!1,d:1e6+x})}let ie=[{c:[m,p],inside:Z([m,p],a),d:-1}];if(i==="corner"&&a.length){let x=a.reduce((k,xe)=>xe[0]+xe[1]<k[0]+k[1]?xe:k,a[0]),w=[x[0]+2*e.gap+$/2,x[1]+2*e.gap+s/2];ie.unshift({c:w,inside:Z(w,a),d:-2})}let Et=[...ie,...N].sort((x,w)=>Number(w.inside)-Number(x.inside)||x.d-w.d);for(let{c:x}of Et){let w=fe({x:x[0]-$/2,y:x[1]-s/2,w:$,h:s},e);if(w&&!o.some(k=>ge(w,k,e.gap))){S={rect:w,text:f,free:!0};break}}if(S)break}if(!S){let f=P[P.length-1],$=_e(e,f);S={rect:fe({x:m-$/2,y:p-s/2,w:$,h:s},e)??{x:0,y:0,w:$,h:s},text:f,free:!1}}o.push(S.rect),r[c]=S}return r}var xt={card:{name:"Bobby Camera",description:"The live picture with the detected persons and the regions; admins draw the regions on it.",persons:"{count} persons",person:"1 person",no_person:"No person",edit:"Edit regions",no_entity:"Choose a Bobby Camera camera in the card's settings.",not_found:"{entity} is not a Bobby Camera camera.",loading:"Loading…",unavailable:"The picture is not available.",error:"Error: {error}"},edit:{title:"Regions of {name}",hint_view:"Click a region to select it; drag it to move it, drag its points to reshape it, click a small point on an edge to add one.",hint_drawing:"Click on the picture to add points; click the first point to close the region.",add_region:"Add region",finish:"Close region",cancel_drawing:"Cancel drawing",remove_point:"Remove point",delete_region:"Delete region",region:"Region",name:"Name",labels:"Labels (comma separated)",min_score:"Minimum score (%, empty: the camera's threshold)",detection:"Detection settings",threshold:"Threshold (%)",min_area:"Minimum box area (% of the picture)",max_area:"Maximum box area (% of the picture)",frames_needed:"Frames needed",frames_window:"Frames window",clear_after:"Clear after (s)",area_boxes:"Dashed boxes: the minimum and maximum box area, to scale.",no_regions:"No regions: the whole picture counts.",save:"Save",saving:"Saving…",cancel:"Cancel",close:"Close",unsaved:"Unsaved changes",invalid:"Fix the marked problems before saving."},ack:{applied:"Applied by {service}, version {version}",refused:"Refused by {service} (version {version}): {error}",waiting:"Sent as version {version}; waiting for the detection service to acknowledge it.",last:"Last set: {status}"},problems:{too_few_points:"{region}: a region needs at least 3 points",too_many_points:"{region}: a region has at most 64 points",point_out_of_range:"{region}: every point must be inside the picture",degenerate_polygon:"{region}: the points do not enclose an area",self_intersecting:"{region}: the outline crosses itself",invalid_name:"{region}: give the region a name with letters or digits",duplicate_name:"{region}: another region has this name",invalid_labels:"{region}: give at least one label",invalid_min_score:"{region}: the minimum score is between 0 and 100 %",invalid_threshold:"The threshold is between 0 and 100 %",invalid_area:"The minimum box area must be below the maximum",invalid_frames:"Frames needed must be between 1 and the frames window (at most 30)",invalid_clear_after:"Clear after is between 0 and 3600 seconds",too_many_regions:"At most 32 regions"},editor:{entity:"Camera (Bobby Camera live view)",title:"Title",show_boxes:"Show the detected boxes",show_regions:"Show the regions"}};var Ue={en:xt};function ze(n,e){let t=n;for(let i of e.split(".")){if(t===void 0||typeof t=="string")return;t=t[i]}return typeof t=="string"?t:void 0}function C(n,e,t={}){let i=(n??"en").toLowerCase();return(ze(Ue[i],e)??ze(Ue[i.split("-")[0]],e)??ze(Ue.en,e)??e).replace(/\{(\w+)\}/g,(r,o)=>o in t?String(t[o]):r)}function ve(n,e,t){if(!e||t!==void 0&&(e.version??-1)<t)return t===void 0?"":C(n,"ack.waiting",{version:t});let i={service:e.service??"?",version:e.version??"?",error:e.error??""};return C(n,e.ok?"ack.applied":"ack.refused",i)}function Le(n,e){return e<=0?C(n,"card.no_person"):e===1?C(n,"card.person"):C(n,"card.persons",{count:e})}var qt=[{name:"entity",required:!0,selector:{entity:{domain:"camera",integration:"bobby_camera"}}},{name:"title",selector:{text:{}}},{name:"show_boxes",selector:{boolean:{}}},{name:"show_regions",selector:{boolean:{}}}],Q=class extends R{constructor(){super(...arguments);this._label=t=>C(me(this.hass),`editor.${t.name}`)}setConfig(t){this._config=t}_changed(t){t.stopPropagation();let i={...t.detail.value,type:this._config?.type??"custom:bobby-camera-card"};_t(this,i)}render(){return!this.hass||!this._config?y``:y`<ha-form
      .hass=${this.hass}
      .data=${{show_boxes:!0,show_regions:!0,...this._config}}
      .schema=${qt}
      .computeLabel=${this._label}
      @value-changed=${this._changed}
    ></ha-form>`}};Q.properties={hass:{attribute:!1},_config:{state:!0}},Q.styles=B`
    :host {
      display: block;
    }
  `;customElements.get("bobby-camera-card-editor")||customElements.define("bobby-camera-card-editor",Q);var ye="bobby-camera-card",Yt=4e3,Jt=[640,480],$e=13,Zt=500,Qt=18,wt=4,ei=2,ti=14,ii=8,Pt=24,St=8,ni=560,ee;function Fe(n,e){return ee===void 0&&(ee=document.createElement("canvas").getContext("2d")),ee?(ee.font=`${Zt} ${$e}px ${e}`,ee.measureText(n).width):n.length*$e*.62}var te=class extends R{constructor(){super(...arguments);this._detectionsAt=0;this._editing=!1;this._status="";this._saving=!1;this._rev=0;this._width=0;this._imageFailed=!1;this._font=""}static getConfigElement(){return document.createElement("bobby-camera-card-editor")}static getStubConfig(t){let i=Object.values(t.entities??{}).find(r=>r?.platform==="bobby_camera"&&r.entity_id.startsWith("camera.")),s=Object.keys(t.states).find(r=>r.startsWith("camera."));return{type:`custom:${ye}`,entity:i?.entity_id??s??""}}setConfig(t){if(!t||typeof t!="object")throw new Error("Invalid configuration");if(t.entity!==void 0&&(typeof t.entity!="string"||t.entity&&!t.entity.startsWith("camera.")))throw new Error("entity must be a camera entity (camera.…)");let i=t.entity!==this._config?.entity;this._config={show_boxes:!0,show_regions:!0,...t},i&&this._reset()}getCardSize(){return this._editing?12:6}getGridOptions(){return{columns:12,min_columns:6,rows:"auto"}}get _lang(){return me(this.hass)}_t(t,i){return C(this._lang,t,i)}connectedCallback(){super.connectedCallback(),this._tick=window.setInterval(()=>{this._detections&&Date.now()-this._detectionsAt>Yt&&(this._detections=void 0)},1e3),this.hass&&this._config?.entity&&this._load()}disconnectedCallback(){super.disconnectedCallback(),window.clearInterval(this._tick),this._resize?.disconnect(),this._resize=void 0,this._unsubscribe(),this._loadedFor=void 0}firstUpdated(){this._observe()}updated(t){t.has("hass")&&this.hass&&this._config?.entity&&this._loadedFor!==this._config.entity&&this._load(),this._observe()}_observe(){let t=this.renderRoot.querySelector(".picture");!t||this._resize||(this._resize=new ResizeObserver(i=>{this._width=i[0]?.contentRect.width??0}),this._resize.observe(t))}_reset(){this._unsubscribe(),this._loadedFor=void 0,this._camera=void 0,this._pushed=void 0,this._detections=void 0,this._editing=!1,this._state=void 0,this._error=void 0,this._status=""}_unsubscribe(){let t=this._unsub;this._unsub=void 0,t?.then(i=>i()).catch(()=>{})}async _load(){let t=this._config?.entity;if(!(!this.hass||!t)){this._loadedFor=t;try{let i=await this.hass.callWS({type:"bobby_camera/get_config",entity_id:t});if(this._loadedFor!==t)return;this._camera=Ie(i,this._pushed),this._error=void 0,!this._status&&i.last_ack&&(this._status=this._t("ack.last",{status:ve(this._lang,i.last_ack)}))}catch(i){let s=i;this._error=s.code==="not_found"?this._t("card.not_found",{entity:t}):this._t("card.error",{error:s.message??String(i)});return}this._unsub||(this._unsub=this.hass.connection.subscribeMessage(i=>this._onMessage(i),{type:"bobby_camera/subscribe_detections",entity_id:t}),this._unsub.catch(i=>{this._unsub=void 0,this._error=this._t("card.error",{error:i.message??String(i)})}))}}_onMessage(t){if(t.entities&&(this._pushed=t.entities,this._camera&&(this._camera=Ie(this._camera,this._pushed))),t.detections&&(this._detections=t.detections,this._detectionsAt=Date.now(),!this._size&&t.detections.size&&(this._size=t.detections.size)),t.ack){let i=t.ack,s=this._camera!==void 0&&(i.version??-1)>this._camera.version;this._camera&&(this._camera={...this._camera,last_ack:i}),s&&!this._editing&&!this._saving&&(this._loadedFor=void 0,this._load()),(this._sentVersion===void 0||(i.version??-1)>=this._sentVersion)&&(this._status=ve(this._lang,i,this._sentVersion))}}get _picSize(){return this._size??this._camera?.resolution??Jt}_imageUrl(){let t=this._camera?.camera_entity??this._config?.entity,i=t?this.hass?.states[t]:void 0;if(!this.hass||!i||i.state==="unavailable")return;let s=i.attributes.access_token;return this._imageFailed?i.attributes.entity_picture?this.hass.hassUrl(i.attributes.entity_picture):void 0:s?this.hass.hassUrl(`/api/camera_proxy_stream/${t}?token=${encodeURIComponent(s)}`):void 0}_onImageLoad(t){let i=t.target;if(i.naturalWidth>0&&i.naturalHeight>0){let s=[i.naturalWidth,i.naturalHeight];(!this._size||this._size[0]!==s[0]||this._size[1]!==s[1])&&(this._size=s)}}get _unit(){return this._width>0?this._picSize[0]/this._width:1}_pts(t){let[i,s]=this._picSize;return t.map(([r,o])=>`${r*i},${o*s}`).join(" ")}_chipStyle(){let[t,i]=this._picSize,s=this._unit;if(!this._font){let o=this.renderRoot?.querySelector("svg");this._font=o&&getComputedStyle(o).fontFamily||"sans-serif"}let r=this._font;return{width:t,height:i,lineHeight:Qt*s,pad:wt*s,gap:ei*s,measure:o=>Fe(o,r)*s}}_chip(t,i,s){let r=this._unit;return E`<g class="chip ${t}">
      <rect x=${i.x} y=${i.y} width=${i.w} height=${i.h} rx=${3*r}></rect>
      <text x=${i.x+wt*r} y=${i.y+i.h/2} font-size=${$e*r} dominant-baseline="central">${s}</text>
    </g>`}_regionNames(t,i,s,r){let o=JSON.stringify([t,i.width,i.height,i.lineHeight,this._font,s,r]);return this._names?.key!==o&&(this._names={key:o,placed:$t(t,i,r?[r]:[],s)}),this._names.placed}_overlayView(){let t=this._camera,[i,s]=this._picSize,r=this._unit,o=this._chipStyle(),d=u=>u.map(([_,P])=>[_*i,P*s]),c=t&&this._config?.show_regions!==!1?t.rois.map(u=>{let _=u.id?t.region_entities[u.id]:void 0;return{roi:u,on:_?this.hass?.states[_]?.state==="on":!1}}):[],l=Math.max(Fe(this._countText(),this._font),Fe(Le(this._lang,88),this._font))*ti/$e+2*ii,h={x:i-(St+l)*r,y:s-(St+Pt)*r,w:l*r,h:Pt*r},m=this._regionNames(c.map(({roi:u})=>({points:d(u.points),text:u.name})),o,"corner",h),g=(this._config?.show_boxes===!1?void 0:this._detections)?.objects??[],v=this._width>0&&this._width<ni,M=yt(g.map(u=>({box:[u.box[0]*i,u.box[1]*s,u.box[2]*i,u.box[3]*s],text:v?be(u.score):vt(u.label,u.score),short:be(u.score),priority:u.score})),o,[...m.map(u=>u.rect),h]),T=u=>E`<g class="fills ${u?"on":"off"}">${c.filter(_=>_.on===u).map(({roi:_})=>E`<polygon points=${this._pts(_.points)}></polygon>`)}</g>`;return[T(!1),T(!0),...c.map(({roi:u,on:_})=>E`<g class="region ${_?"on":""}" data-id=${u.id??""}><polygon points=${this._pts(u.points)}></polygon></g>`),...g.map(u=>{let[_,P,S,f]=u.box,[$,N]=ht(u.box);return E`<g class="box">
          <rect x=${_*i} y=${P*s} width=${(S-_)*i} height=${(f-P)*s}></rect>
          <circle class="foot" cx=${$*i} cy=${N*s} r=${4*r}></circle>
        </g>`}),...M.flatMap(u=>u.leader?[E`<line class="leader" x1=${u.leader[0]} y1=${u.leader[1]} x2=${u.leader[2]} y2=${u.leader[3]}></line>`]:[]),...c.map(({on:u},_)=>this._chip(`name ${u?"on":""}`,m[_].rect,m[_].text)),...M.flatMap(u=>u.rect?[this._chip("score",u.rect,u.text)]:[])]}_editView(){let t=this._state;if(!t)return[];let[i,s]=this._picSize,r=this._unit,o=t.regionProblems(),d=[];for(let[l,h]of[["min-area",t.detection.min_area],["max-area",t.detection.max_area]])if(h>0&&h<1){let[m,p,g,v]=ut(h);d.push(E`<rect class="area ${l}" x=${m*i} y=${p*s} width=${(g-m)*i} height=${(v-p)*s}></rect>`)}t.regions.forEach((l,h)=>{let m=h===t.selected;d.push(E`<g class="region edit ${m?"selected":""} ${o[h]?"invalid":""}" data-index=${h}>
        <polygon points=${this._pts(l.points)}></polygon>
      </g>`)});let c=this._regionNames(t.regions.map(l=>({points:l.points.map(([h,m])=>[h*i,m*s]),text:l.name})),this._chipStyle(),"centre");t.regions.forEach((l,h)=>{l.name&&d.push(this._chip(`name ${h===t.selected?"selected":""} ${o[h]?"invalid":""}`,c[h].rect,c[h].text))});let a=t.regions[t.selected];return a&&!t.drawing&&(de(a.points).forEach(([l,h])=>d.push(E`<circle class="mid" cx=${l*i} cy=${h*s} r=${5*r}></circle>`)),a.points.forEach(([l,h],m)=>d.push(E`<circle class="vertex ${m===t.selectedPoint?"current":""}" cx=${l*i} cy=${h*s} r=${7*r}></circle>`))),t.drawing&&(d.push(E`<polyline class="drawing" points=${this._pts(t.drawing)}></polyline>`),t.drawing.forEach(([l,h],m)=>d.push(E`<circle class="vertex ${m===0&&t.drawing.length>=3?"first":""}" cx=${l*i} cy=${h*s} r=${(m===0?9:6)*r}></circle>`))),d}_point(t){let i=t.currentTarget.getBoundingClientRect();return{p:at(t.clientX,t.clientY,i),w:i.width,h:i.height}}_onPointerDown(t){let i=this._state;if(!this._editing||!i||t.button>0)return;t.preventDefault();let{p:s,w:r,h:o}=this._point(t);i.pointerDown(s,r,o,t.pointerType==="touch"?22:11),i.dragging&&t.currentTarget.setPointerCapture?.(t.pointerId),this._rev++}_onPointerMove(t){let i=this._state;i?.dragging&&(t.preventDefault(),i.pointerMove(this._point(t).p)&&this._rev++)}_onPointerUp(t){let i=this._state;i?.dragging&&(i.pointerUp(),t.currentTarget.releasePointerCapture?.(t.pointerId),this._rev++)}_onContextMenu(t){let i=this._state;!this._editing||!i||(t.preventDefault(),i.selectedPoint>=0&&(i.removePoint(i.selected,i.selectedPoint),i.pointerUp(),this._rev++))}_startEditing(){let t=this._camera;t&&(this._state=new ue(t.rois,t.detection),this._editing=!0,this._status="")}_stopEditing(){this._editing=!1,this._state=void 0}_act(t){this._state&&(t(this._state),this._rev++)}_num(t){let i=t.target.value.trim();return i===""?null:Number(i)}_setDetection(t,i,s=1){let r=this._num(i);this._act(o=>o.setDetection(t,r===null?NaN:Math.round(r*s*1e4)/1e4))}async _save(){let t=this._state,i=this._config?.entity;if(!(!t||!i||!this.hass||!t.valid)){this._saving=!0,this._status=this._t("edit.saving");try{let s=await this.hass.callWS({type:"bobby_camera/save_rois",entity_id:i,...t.payload()});this._sentVersion=s.version,this._status=ve(this._lang,s.ack,s.version),this._stopEditing(),this._loadedFor=void 0,await this._load()}catch(s){let r=s,o=r.translation_key?`problems.${r.translation_key}`:"",d=o&&C("en",o)!==o;this._status=d?this._t(o,r.translation_placeholders??{}):this._t("card.error",{error:r.message??String(s)})}finally{this._saving=!1}}}render(){if(!this._config)return y``;let t=this._config.title??this._camera?.name;if(!this._config.entity)return y`<ha-card .header=${t}><div class="message">${this._t("card.no_entity")}</div></ha-card>`;let[i,s]=this._picSize,r=this._imageUrl(),o=this.hass?.user?.is_admin===!0;return y`<ha-card .header=${t}>
      ${this._error?y`<div class="message error">${this._error}</div>`:b}
      <div class="picture" style="aspect-ratio: ${i} / ${s}">
        ${r?y`<img src=${r} alt="" @load=${this._onImageLoad} @error=${()=>this._imageFailed=!0} />`:y`<div class="unavailable">${this._t(this._camera?"card.unavailable":"card.loading")}</div>`}
        <svg
          class=${this._editing?"editing":""}
          viewBox="0 0 ${i} ${s}"
          preserveAspectRatio="none"
          @pointerdown=${this._onPointerDown}
          @pointermove=${this._onPointerMove}
          @pointerup=${this._onPointerUp}
          @pointercancel=${this._onPointerUp}
          @contextmenu=${this._onContextMenu}
        >
          ${this._editing?this._editView():this._overlayView()}
        </svg>
        ${this._editing?b:y`<div class="count">${this._countText()}</div>`}
      </div>
      ${this._editing?this._editPanel():this._footer(o)}
    </ha-card>`}_countText(){let t=this._camera?.count_entity,i=t?this.hass?.states[t]?.state:void 0,s=i!==void 0&&i!==""&&!Number.isNaN(Number(i))?Number(i):this._detections?.persons??0;return Le(this._lang,s)}_footer(t){return y`<div class="footer">
      <span class="status" role="status">${this._status}</span>
      ${t&&this._camera?y`<button class="primary" @click=${this._startEditing}>${this._t("card.edit")}</button>`:b}
    </div>`}_editPanel(){let t=this._state,i=t.regionProblems(),s=t.detectionProblem(),r=t.regions[t.selected],o=[...i.flatMap((a,l)=>a?[this._t(`problems.${a}`,{region:t.regions[l].name||"?"})]:[]),...s?[this._t(`problems.${s}`)]:[],...t.regions.length>pe?[this._t("problems.too_many_regions")]:[]],d=t.detection,c=a=>a==null||Number.isNaN(a)?"":String(Math.round(a*1e4)/100);return y`<div class="edit">
      <div class="hint">${this._t(t.drawing?"edit.hint_drawing":"edit.hint_view")}</div>
      <div class="toolbar">
        ${t.drawing?y`<button class="finish" ?disabled=${t.drawing.length<3} @click=${()=>this._act(a=>a.closeDrawing())}>${this._t("edit.finish")}</button>
              <button @click=${()=>this._act(a=>a.cancelDrawing())}>${this._t("edit.cancel_drawing")}</button>`:y`<button class="add" ?disabled=${t.regions.length>=pe} @click=${()=>this._act(a=>a.startDrawing())}>${this._t("edit.add_region")}</button>`}
        ${r&&!t.drawing?y`<button class="remove-point" ?disabled=${t.selectedPoint<0} @click=${()=>this._act(a=>a.removePoint(a.selected,a.selectedPoint))}>
                ${this._t("edit.remove_point")}
              </button>
              <button class="delete" @click=${()=>this._act(a=>a.deleteRegion(a.selected))}>${this._t("edit.delete_region")}</button>`:b}
      </div>
      ${r&&!t.drawing?y`<fieldset class="region-form">
            <legend>${this._t("edit.region")}</legend>
            <label>${this._t("edit.name")}<input class="name" .value=${r.name} @input=${a=>this._act(l=>l.rename(l.selected,a.target.value))} /></label>
            <label>${this._t("edit.labels")}<input class="labels" .value=${r.labels.join(", ")} @change=${a=>this._act(l=>l.setLabels(l.selected,a.target.value.split(",")))} /></label>
            <label>${this._t("edit.min_score")}<input class="min-score" type="number" min="0" max="100" step="1" .value=${c(r.min_score)}
              @change=${a=>{let l=this._num(a);this._act(h=>h.setMinScore(h.selected,l===null?null:Math.round(l*100)/1e4))}} /></label>
          </fieldset>`:y`<div class="regions-summary">${t.regions.length?t.regions.map(a=>a.name).join(", "):this._t("edit.no_regions")}</div>`}
      <details class="detection">
        <summary>${this._t("edit.detection")}</summary>
        <div class="grid">
          <label>${this._t("edit.threshold")}<input class="threshold" type="number" min="1" max="100" step="1" .value=${c(d.threshold)} @change=${a=>this._setDetection("threshold",a,.01)} /></label>
          <label>${this._t("edit.min_area")}<input class="min-area" type="number" min="0" max="100" step="0.1" .value=${c(d.min_area)} @input=${a=>this._setDetection("min_area",a,.01)} /></label>
          <label>${this._t("edit.max_area")}<input class="max-area" type="number" min="0.1" max="100" step="0.1" .value=${c(d.max_area)} @input=${a=>this._setDetection("max_area",a,.01)} /></label>
          <label>${this._t("edit.frames_needed")}<input class="frames-needed" type="number" min="1" max="30" step="1" .value=${String(d.frames_needed)} @change=${a=>this._setDetection("frames_needed",a)} /></label>
          <label>${this._t("edit.frames_window")}<input class="frames-window" type="number" min="1" max="30" step="1" .value=${String(d.frames_window)} @change=${a=>this._setDetection("frames_window",a)} /></label>
          <label>${this._t("edit.clear_after")}<input class="clear-after" type="number" min="0" max="3600" step="0.5" .value=${String(d.clear_after)} @change=${a=>this._setDetection("clear_after",a)} /></label>
        </div>
        <div class="hint">${this._t("edit.area_boxes")}</div>
      </details>
      ${o.length?y`<ul class="problems">${o.map(a=>y`<li>${a}</li>`)}</ul>`:b}
      <div class="footer">
        <span class="status" role="status">${this._status||(t.dirty?this._t("edit.unsaved"):"")}</span>
        <button @click=${this._stopEditing}>${this._t("edit.cancel")}</button>
        <button class="primary save" ?disabled=${!t.valid||t.regions.length>pe||this._saving} @click=${this._save}>${this._t(this._saving?"edit.saving":"edit.save")}</button>
      </div>
    </div>`}};te.properties={hass:{attribute:!1},_config:{state:!0},_camera:{state:!0},_error:{state:!0},_detections:{state:!0},_editing:{state:!0},_status:{state:!0},_saving:{state:!0},_rev:{state:!0},_size:{state:!0},_width:{state:!0},_imageFailed:{state:!0}},te.styles=ot;if(!customElements.get(ye)){customElements.define(ye,te);let n=window;n.customCards=n.customCards??[],n.customCards.push({type:ye,name:C(navigator.language,"card.name"),description:C(navigator.language,"card.description"),preview:!0,documentationURL:"https://github.com/bobby-camera/bobby-camera/blob/main/docs/home-assistant.md#the-dashboard-card"})}export{te as BobbyCameraCard};
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
