// Bobby Camera card: built from frontend/ by `make frontend`; do not edit.
var L=globalThis,j=L.ShadowRoot&&(L.ShadyCSS===void 0||L.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,ee=Symbol(),fe=new WeakMap,M=class{constructor(t,e,i){if(this._$cssResult$=!0,i!==ee)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=t,this.t=e}get styleSheet(){let t=this.o,e=this.t;if(j&&t===void 0){let i=e!==void 0&&e.length===1;i&&(t=fe.get(e)),t===void 0&&((this.o=t=new CSSStyleSheet).replaceSync(this.cssText),i&&fe.set(e,t))}return t}toString(){return this.cssText}},be=n=>new M(typeof n=="string"?n:n+"",void 0,ee),T=(n,...t)=>{let e=n.length===1?n[0]:t.reduce((i,s,r)=>i+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(s)+n[r+1],n[0]);return new M(e,n,ee)},ve=(n,t)=>{if(j)n.adoptedStyleSheets=t.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of t){let i=document.createElement("style"),s=L.litNonce;s!==void 0&&i.setAttribute("nonce",s),i.textContent=e.cssText,n.appendChild(i)}},te=j?n=>n:n=>n instanceof CSSStyleSheet?(t=>{let e="";for(let i of t.cssRules)e+=i.cssText;return be(e)})(n):n;var{is:Ke,defineProperty:Xe,getOwnPropertyDescriptor:qe,getOwnPropertyNames:Je,getOwnPropertySymbols:Ye,getPrototypeOf:Ze}=Object,F=globalThis,ye=F.trustedTypes,Qe=ye?ye.emptyScript:"",et=F.reactiveElementPolyfillSupport,R=(n,t)=>n,ie={toAttribute(n,t){switch(t){case Boolean:n=n?Qe:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,t){let e=n;switch(t){case Boolean:e=n!==null;break;case Number:e=n===null?null:Number(n);break;case Object:case Array:try{e=JSON.parse(n)}catch{e=null}}return e}},xe=(n,t)=>!Ke(n,t),$e={attribute:!0,type:String,converter:ie,reflect:!1,useDefault:!1,hasChanged:xe};Symbol.metadata??=Symbol("metadata"),F.litPropertyMetadata??=new WeakMap;var v=class extends HTMLElement{static addInitializer(t){this._$Ei(),(this.l??=[]).push(t)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(t,e=$e){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(t)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(t,e),!e.noAccessor){let i=Symbol(),s=this.getPropertyDescriptor(t,i,e);s!==void 0&&Xe(this.prototype,t,s)}}static getPropertyDescriptor(t,e,i){let{get:s,set:r}=qe(this.prototype,t)??{get(){return this[e]},set(o){this[e]=o}};return{get:s,set(o){let c=s?.call(this);r?.call(this,o),this.requestUpdate(t,c,i)},configurable:!0,enumerable:!0}}static getPropertyOptions(t){return this.elementProperties.get(t)??$e}static _$Ei(){if(this.hasOwnProperty(R("elementProperties")))return;let t=Ze(this);t.finalize(),t.l!==void 0&&(this.l=[...t.l]),this.elementProperties=new Map(t.elementProperties)}static finalize(){if(this.hasOwnProperty(R("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(R("properties"))){let e=this.properties,i=[...Je(e),...Ye(e)];for(let s of i)this.createProperty(s,e[s])}let t=this[Symbol.metadata];if(t!==null){let e=litPropertyMetadata.get(t);if(e!==void 0)for(let[i,s]of e)this.elementProperties.set(i,s)}this._$Eh=new Map;for(let[e,i]of this.elementProperties){let s=this._$Eu(e,i);s!==void 0&&this._$Eh.set(s,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(t){let e=[];if(Array.isArray(t)){let i=new Set(t.flat(1/0).reverse());for(let s of i)e.unshift(te(s))}else t!==void 0&&e.push(te(t));return e}static _$Eu(t,e){let i=e.attribute;return i===!1?void 0:typeof i=="string"?i:typeof t=="string"?t.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(t=>this.enableUpdating=t),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(t=>t(this))}addController(t){(this._$EO??=new Set).add(t),this.renderRoot!==void 0&&this.isConnected&&t.hostConnected?.()}removeController(t){this._$EO?.delete(t)}_$E_(){let t=new Map,e=this.constructor.elementProperties;for(let i of e.keys())this.hasOwnProperty(i)&&(t.set(i,this[i]),delete this[i]);t.size>0&&(this._$Ep=t)}createRenderRoot(){let t=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ve(t,this.constructor.elementStyles),t}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(t=>t.hostConnected?.())}enableUpdating(t){}disconnectedCallback(){this._$EO?.forEach(t=>t.hostDisconnected?.())}attributeChangedCallback(t,e,i){this._$AK(t,i)}_$ET(t,e){let i=this.constructor.elementProperties.get(t),s=this.constructor._$Eu(t,i);if(s!==void 0&&i.reflect===!0){let r=(i.converter?.toAttribute!==void 0?i.converter:ie).toAttribute(e,i.type);this._$Em=t,r==null?this.removeAttribute(s):this.setAttribute(s,r),this._$Em=null}}_$AK(t,e){let i=this.constructor,s=i._$Eh.get(t);if(s!==void 0&&this._$Em!==s){let r=i.getPropertyOptions(s),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:ie;this._$Em=s;let c=o.fromAttribute(e,r.type);this[s]=c??this._$Ej?.get(s)??c,this._$Em=null}}requestUpdate(t,e,i,s=!1,r){if(t!==void 0){let o=this.constructor;if(s===!1&&(r=this[t]),i??=o.getPropertyOptions(t),!((i.hasChanged??xe)(r,e)||i.useDefault&&i.reflect&&r===this._$Ej?.get(t)&&!this.hasAttribute(o._$Eu(t,i))))return;this.C(t,e,i)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(t,e,{useDefault:i,reflect:s,wrapped:r},o){i&&!(this._$Ej??=new Map).has(t)&&(this._$Ej.set(t,o??e??this[t]),r!==!0||o!==void 0)||(this._$AL.has(t)||(this.hasUpdated||i||(e=void 0),this._$AL.set(t,e)),s===!0&&this._$Em!==t&&(this._$Eq??=new Set).add(t))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let t=this.scheduleUpdate();return t!=null&&await t,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,r]of this._$Ep)this[s]=r;this._$Ep=void 0}let i=this.constructor.elementProperties;if(i.size>0)for(let[s,r]of i){let{wrapped:o}=r,c=this[s];o!==!0||this._$AL.has(s)||c===void 0||this.C(s,void 0,r,c)}}let t=!1,e=this._$AL;try{t=this.shouldUpdate(e),t?(this.willUpdate(e),this._$EO?.forEach(i=>i.hostUpdate?.()),this.update(e)):this._$EM()}catch(i){throw t=!1,this._$EM(),i}t&&this._$AE(e)}willUpdate(t){}_$AE(t){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(t)),this.updated(t)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(t){return!0}update(t){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(t){}firstUpdated(t){}};v.elementStyles=[],v.shadowRootOptions={mode:"open"},v[R("elementProperties")]=new Map,v[R("finalized")]=new Map,et?.({ReactiveElement:v}),(F.reactiveElementVersions??=[]).push("2.1.2");var ce=globalThis,we=n=>n,V=ce.trustedTypes,Pe=V?V.createPolicy("lit-html",{createHTML:n=>n}):void 0,Me="$lit$",$=`lit$${Math.random().toFixed(9).slice(2)}$`,Te="?"+$,tt=`<${Te}>`,P=document,D=()=>P.createComment(""),U=n=>n===null||typeof n!="object"&&typeof n!="function",de=Array.isArray,it=n=>de(n)||typeof n?.[Symbol.iterator]=="function",se=`[ 	
\f\r]`,N=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,Ee=/-->/g,Se=/>/g,x=RegExp(`>|${se}(?:([^\\s"'>=/]+)(${se}*=${se}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),Ae=/'/g,Ce=/"/g,Re=/^(?:script|style|textarea|title)$/i,he=n=>(t,...e)=>({_$litType$:n,strings:t,values:e}),p=he(1),y=he(2),vt=he(3),E=Symbol.for("lit-noChange"),u=Symbol.for("lit-nothing"),ke=new WeakMap,w=P.createTreeWalker(P,129);function Ne(n,t){if(!de(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return Pe!==void 0?Pe.createHTML(t):t}var st=(n,t)=>{let e=n.length-1,i=[],s,r=t===2?"<svg>":t===3?"<math>":"",o=N;for(let c=0;c<e;c++){let l=n[c],a,d,h=-1,m=0;for(;m<l.length&&(o.lastIndex=m,d=o.exec(l),d!==null);)m=o.lastIndex,o===N?d[1]==="!--"?o=Ee:d[1]!==void 0?o=Se:d[2]!==void 0?(Re.test(d[2])&&(s=RegExp("</"+d[2],"g")),o=x):d[3]!==void 0&&(o=x):o===x?d[0]===">"?(o=s??N,h=-1):d[1]===void 0?h=-2:(h=o.lastIndex-d[2].length,a=d[1],o=d[3]===void 0?x:d[3]==='"'?Ce:Ae):o===Ce||o===Ae?o=x:o===Ee||o===Se?o=N:(o=x,s=void 0);let g=o===x&&n[c+1].startsWith("/>")?" ":"";r+=o===N?l+tt:h>=0?(i.push(a),l.slice(0,h)+Me+l.slice(h)+$+g):l+$+(h===-2?c:g)}return[Ne(n,r+(n[e]||"<?>")+(t===2?"</svg>":t===3?"</math>":"")),i]},O=class n{constructor({strings:t,_$litType$:e},i){let s;this.parts=[];let r=0,o=0,c=t.length-1,l=this.parts,[a,d]=st(t,e);if(this.el=n.createElement(a,i),w.currentNode=this.el.content,e===2||e===3){let h=this.el.content.firstChild;h.replaceWith(...h.childNodes)}for(;(s=w.nextNode())!==null&&l.length<c;){if(s.nodeType===1){if(s.hasAttributes())for(let h of s.getAttributeNames())if(h.endsWith(Me)){let m=d[o++],g=s.getAttribute(h).split($),S=/([.?@])?(.*)/.exec(m);l.push({type:1,index:r,name:S[2],strings:g,ctor:S[1]==="."?re:S[1]==="?"?oe:S[1]==="@"?ae:C}),s.removeAttribute(h)}else h.startsWith($)&&(l.push({type:6,index:r}),s.removeAttribute(h));if(Re.test(s.tagName)){let h=s.textContent.split($),m=h.length-1;if(m>0){s.textContent=V?V.emptyScript:"";for(let g=0;g<m;g++)s.append(h[g],D()),w.nextNode(),l.push({type:2,index:++r});s.append(h[m],D())}}}else if(s.nodeType===8)if(s.data===Te)l.push({type:2,index:r});else{let h=-1;for(;(h=s.data.indexOf($,h+1))!==-1;)l.push({type:7,index:r}),h+=$.length-1}r++}}static createElement(t,e){let i=P.createElement("template");return i.innerHTML=t,i}};function A(n,t,e=n,i){if(t===E)return t;let s=i!==void 0?e._$Co?.[i]:e._$Cl,r=U(t)?void 0:t._$litDirective$;return s?.constructor!==r&&(s?._$AO?.(!1),r===void 0?s=void 0:(s=new r(n),s._$AT(n,e,i)),i!==void 0?(e._$Co??=[])[i]=s:e._$Cl=s),s!==void 0&&(t=A(n,s._$AS(n,t.values),s,i)),t}var ne=class{constructor(t,e){this._$AV=[],this._$AN=void 0,this._$AD=t,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(t){let{el:{content:e},parts:i}=this._$AD,s=(t?.creationScope??P).importNode(e,!0);w.currentNode=s;let r=w.nextNode(),o=0,c=0,l=i[0];for(;l!==void 0;){if(o===l.index){let a;l.type===2?a=new H(r,r.nextSibling,this,t):l.type===1?a=new l.ctor(r,l.name,l.strings,this,t):l.type===6&&(a=new le(r,this,t)),this._$AV.push(a),l=i[++c]}o!==l?.index&&(r=w.nextNode(),o++)}return w.currentNode=P,s}p(t){let e=0;for(let i of this._$AV)i!==void 0&&(i.strings!==void 0?(i._$AI(t,i,e),e+=i.strings.length-2):i._$AI(t[e])),e++}},H=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(t,e,i,s){this.type=2,this._$AH=u,this._$AN=void 0,this._$AA=t,this._$AB=e,this._$AM=i,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let t=this._$AA.parentNode,e=this._$AM;return e!==void 0&&t?.nodeType===11&&(t=e.parentNode),t}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(t,e=this){t=A(this,t,e),U(t)?t===u||t==null||t===""?(this._$AH!==u&&this._$AR(),this._$AH=u):t!==this._$AH&&t!==E&&this._(t):t._$litType$!==void 0?this.$(t):t.nodeType!==void 0?this.T(t):it(t)?this.k(t):this._(t)}O(t){return this._$AA.parentNode.insertBefore(t,this._$AB)}T(t){this._$AH!==t&&(this._$AR(),this._$AH=this.O(t))}_(t){this._$AH!==u&&U(this._$AH)?this._$AA.nextSibling.data=t:this.T(P.createTextNode(t)),this._$AH=t}$(t){let{values:e,_$litType$:i}=t,s=typeof i=="number"?this._$AC(t):(i.el===void 0&&(i.el=O.createElement(Ne(i.h,i.h[0]),this.options)),i);if(this._$AH?._$AD===s)this._$AH.p(e);else{let r=new ne(s,this),o=r.u(this.options);r.p(e),this.T(o),this._$AH=r}}_$AC(t){let e=ke.get(t.strings);return e===void 0&&ke.set(t.strings,e=new O(t)),e}k(t){de(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,i,s=0;for(let r of t)s===e.length?e.push(i=new n(this.O(D()),this.O(D()),this,this.options)):i=e[s],i._$AI(r),s++;s<e.length&&(this._$AR(i&&i._$AB.nextSibling,s),e.length=s)}_$AR(t=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);t!==this._$AB;){let i=we(t).nextSibling;we(t).remove(),t=i}}setConnected(t){this._$AM===void 0&&(this._$Cv=t,this._$AP?.(t))}},C=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(t,e,i,s,r){this.type=1,this._$AH=u,this._$AN=void 0,this.element=t,this.name=e,this._$AM=s,this.options=r,i.length>2||i[0]!==""||i[1]!==""?(this._$AH=Array(i.length-1).fill(new String),this.strings=i):this._$AH=u}_$AI(t,e=this,i,s){let r=this.strings,o=!1;if(r===void 0)t=A(this,t,e,0),o=!U(t)||t!==this._$AH&&t!==E,o&&(this._$AH=t);else{let c=t,l,a;for(t=r[0],l=0;l<r.length-1;l++)a=A(this,c[i+l],e,l),a===E&&(a=this._$AH[l]),o||=!U(a)||a!==this._$AH[l],a===u?t=u:t!==u&&(t+=(a??"")+r[l+1]),this._$AH[l]=a}o&&!s&&this.j(t)}j(t){t===u?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,t??"")}},re=class extends C{constructor(){super(...arguments),this.type=3}j(t){this.element[this.name]=t===u?void 0:t}},oe=class extends C{constructor(){super(...arguments),this.type=4}j(t){this.element.toggleAttribute(this.name,!!t&&t!==u)}},ae=class extends C{constructor(t,e,i,s,r){super(t,e,i,s,r),this.type=5}_$AI(t,e=this){if((t=A(this,t,e,0)??u)===E)return;let i=this._$AH,s=t===u&&i!==u||t.capture!==i.capture||t.once!==i.once||t.passive!==i.passive,r=t!==u&&(i===u||s);s&&this.element.removeEventListener(this.name,this,i),r&&this.element.addEventListener(this.name,this,t),this._$AH=t}handleEvent(t){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,t):this._$AH.handleEvent(t)}},le=class{constructor(t,e,i){this.element=t,this.type=6,this._$AN=void 0,this._$AM=e,this.options=i}get _$AU(){return this._$AM._$AU}_$AI(t){A(this,t)}};var nt=ce.litHtmlPolyfillSupport;nt?.(O,H),(ce.litHtmlVersions??=[]).push("3.3.3");var De=(n,t,e)=>{let i=e?.renderBefore??t,s=i._$litPart$;if(s===void 0){let r=e?.renderBefore??null;i._$litPart$=s=new H(t.insertBefore(D(),r),r,void 0,e??{})}return s._$AI(n),s};var ue=globalThis,b=class extends v{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let t=super.createRenderRoot();return this.renderOptions.renderBefore??=t.firstChild,t}update(t){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(t),this._$Do=De(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return E}};b._$litElement$=!0,b.finalized=!0,ue.litElementHydrateSupport?.({LitElement:b});var rt=ue.litElementPolyfillSupport;rt?.({LitElement:b});(ue.litElementVersions??=[]).push("4.2.2");var W=n=>n<0?0:n>1?1:n,_=n=>Math.round(n*1e6)/1e6;function Ue(n,t,e){return e.width<=0||e.height<=0?[0,0]:[_(W((n-e.left)/e.width)),_(W((t-e.top)/e.height))]}function ot(n,t){let e=!1;for(let i=0,s=t.length-1;i<t.length;s=i++){let[r,o]=t[i],[c,l]=t[s];o>n[1]!=l>n[1]&&n[0]<(c-r)*(n[1]-o)/(l-o)+r&&(e=!e)}return e}var k=(n,t,e)=>(t[0]-n[0])*(e[1]-n[1])-(t[1]-n[1])*(e[0]-n[0]),B=(n,t,e)=>Math.min(n[0],t[0])-1e-12<=e[0]&&e[0]<=Math.max(n[0],t[0])+1e-12&&Math.min(n[1],t[1])-1e-12<=e[1]&&e[1]<=Math.max(n[1],t[1])+1e-12;function at(n,t,e,i){let s=k(e,i,n),r=k(e,i,t),o=k(n,t,e),c=k(n,t,i);return(s>1e-12&&r<-1e-12||s<-1e-12&&r>1e-12)&&(o>1e-12&&c<-1e-12||o<-1e-12&&c>1e-12)?!0:Math.abs(s)<=1e-12&&B(e,i,n)||Math.abs(r)<=1e-12&&B(e,i,t)||Math.abs(o)<=1e-12&&B(n,t,e)||Math.abs(c)<=1e-12&&B(n,t,i)}function Oe(n){let t=n.length;if(t<3)return"too_few_points";if(t>64)return"too_many_points";for(let[e,i]of n)if(!Number.isFinite(e)||!Number.isFinite(i)||e<0||e>1||i<0||i>1)return"point_out_of_range";for(let e=0;e<t;e++){let i=n[e],s=n[(e+1)%t];if(Math.abs(i[0]-s[0])<=1e-12&&Math.abs(i[1]-s[1])<=1e-12)return"degenerate_polygon"}if(n.slice(2).every(e=>Math.abs(k(n[0],n[1],e))<=1e-12))return"degenerate_polygon";for(let e=0;e<t;e++)for(let i=e+1;i<t;i++){let[s,r]=[n[e],n[(e+1)%t]],[o,c]=[n[i],n[(i+1)%t]];if(i===e+1||e===0&&i===t-1){let[l,a,d]=i===e+1?[r,s,c]:[s,r,o],h=(a[0]-l[0])*(d[0]-l[0])+(a[1]-l[1])*(d[1]-l[1]);if(Math.abs(k(l,a,d))<=1e-12&&h>0)return"self_intersecting";continue}if(at(s,r,o,c))return"self_intersecting"}return null}function lt(n,t,e,i){return Math.hypot((n[0]-t[0])*e,(n[1]-t[1])*i)}function G(n,t,e,i,s){let r=-1,o=s;return t.forEach((c,l)=>{let a=lt(n,c,e,i);a<=o&&(r=l,o=a)}),r}function K(n){return n.map((t,e)=>{let i=n[(e+1)%n.length];return[_((t[0]+i[0])/2),_((t[1]+i[1])/2)]})}function He(n,t){for(let e=t.length-1;e>=0;e--)if(t[e].length>=3&&ot(n,t[e]))return e;return-1}function ze(n,t,e){if(!n.length)return[];let i=n.map(c=>c[0]),s=n.map(c=>c[1]),r=Math.min(Math.max(t,-Math.min(...i)),1-Math.max(...i)),o=Math.min(Math.max(e,-Math.min(...s)),1-Math.max(...s));return n.map(([c,l])=>[_(W(c+r)),_(W(l+o))])}var Ie=n=>[(n[0]+n[2])/2,n[3]];function Le(n){let t=Math.sqrt(Math.min(Math.max(n,0),1)),e=(1-t)/2;return[e,e,e+t,e+t]}function pe(n){let t=n.length||1;return[n.reduce((e,i)=>e+i[0],0)/t,n.reduce((e,i)=>e+i[1],0)/t]}var ct=30,dt=3600,J=32,Ve={labels:["person"],threshold:.5,min_area:0,max_area:1,frames_needed:2,frames_window:3,clear_after:10};function me(n){return n.normalize("NFKD").replace(/[\u0300-\u036f]/g,"").toLowerCase().replace(/[^a-z0-9]+/g,"_").replace(/^_+|_+$/g,"").slice(0,32).replace(/_+$/g,"")}var X=n=>typeof n=="number"&&Number.isFinite(n)&&n>=0&&n<=1,q=class{constructor(t=[],e={}){this.selected=-1;this.selectedPoint=-1;this.drawing=null;this.dirty=!1;this.drag=null;this.regions=t.map(i=>({...i,points:i.points.map(s=>[s[0],s[1]]),labels:[...i.labels?.length?i.labels:["person"]]})),this.detection={...Ve,...e,labels:[...e.labels??Ve.labels]},this.originalNames=new Map}get dragging(){return this.drag!==null}newName(t="Region"){let e=new Set(this.regions.map(s=>me(s.name))),i=this.regions.length+1;for(;e.has(me(`${t} ${i}`));)i++;return`${t} ${i}`}startDrawing(){this.drawing=[],this.selected=-1,this.selectedPoint=-1}cancelDrawing(){this.drawing=null}closeDrawing(t){return!this.drawing||this.drawing.length<3?-1:(this.regions.push({name:t??this.newName(),points:this.drawing,labels:["person"]}),this.drawing=null,this.dirty=!0,this.selected=this.regions.length-1,this.selectedPoint=-1,this.selected)}select(t){this.selected=t>=0&&t<this.regions.length?t:-1,this.selectedPoint=-1}movePoint(t,e,i){let s=this.regions[t];!s||e<0||e>=s.points.length||(s.points[e]=[_(i[0]),_(i[1])],this.dirty=!0)}insertPoint(t,e,i){let s=this.regions[t];return!s||s.points.length>=64?-1:(s.points.splice(e+1,0,[_(i[0]),_(i[1])]),this.dirty=!0,e+1)}removePoint(t,e){let i=this.regions[t];!i||e<0||e>=i.points.length||(i.points.splice(e,1),this.selected===t&&(this.selectedPoint=-1),this.dirty=!0)}moveRegion(t,e,i,s){let r=this.regions[t];r&&(r.points=ze(e,i,s),this.dirty=!0)}rename(t,e){let i=this.regions[t];i&&(i.id!==void 0&&!this.originalNames.has(t)&&this.originalNames.set(t,i.name),i.name=e,this.dirty=!0)}deleteRegion(t){if(t<0||t>=this.regions.length)return;this.regions.splice(t,1);let e=[...this.originalNames.entries()];this.originalNames.clear();for(let[i,s]of e)i!==t&&this.originalNames.set(i>t?i-1:i,s);this.selected=-1,this.selectedPoint=-1,this.dirty=!0}setLabels(t,e){let i=this.regions[t];i&&(i.labels=[...new Set(e.map(s=>s.trim()).filter(Boolean))],this.dirty=!0)}setMinScore(t,e){let i=this.regions[t];i&&(e===null?delete i.min_score:i.min_score=e,this.dirty=!0)}setDetection(t,e){this.detection={...this.detection,[t]:e},this.dirty=!0}pointerDown(t,e,i,s){if(this.drawing)return this.drawing.length>=3&&G(t,[this.drawing[0]],e,i,s)===0?(this.closeDrawing(),"closed"):this.drawing.length>=64?"none":(this.drawing.push([_(t[0]),_(t[1])]),"added");let r=this.regions[this.selected];if(r){let l=G(t,r.points,e,i,s);if(l>=0)return this.selectedPoint=l,this.drag={kind:"point",region:this.selected,index:l},"drag-point";let a=G(t,K(r.points),e,i,s);if(a>=0){let d=this.insertPoint(this.selected,a,t);if(d>=0)return this.selectedPoint=d,this.drag={kind:"point",region:this.selected,index:d},"inserted"}}let o=He(t,this.regions.map(l=>l.points));if(o>=0)return o!==this.selected?this.select(o):this.selectedPoint=-1,this.drag={kind:"region",region:o,start:t,original:this.regions[o].points.map(l=>[l[0],l[1]])},"drag-region";let c=this.selected>=0;return this.select(-1),c?"deselected":"none"}pointerMove(t){let e=this.drag;return e?(e.kind==="point"?this.movePoint(e.region,e.index,t):this.moveRegion(e.region,e.original,t[0]-e.start[0],t[1]-e.start[1]),!0):!1}pointerUp(){this.drag=null}regionProblems(){let t=this.regions.map((e,i)=>this.payloadId(e,i)??me(e.name));return this.regions.map((e,i)=>{let s=Oe(e.points);return s||(t[i]?t.indexOf(t[i])!==i?"duplicate_name":e.labels.length?e.min_score!=null&&!X(e.min_score)?"invalid_min_score":null:"invalid_labels":"invalid_name")})}detectionProblem(){let t=this.detection;return t.labels.length?X(t.threshold)?!X(t.min_area)||!X(t.max_area)||t.min_area>=t.max_area?"invalid_area":!(Number.isInteger(t.frames_needed)&&Number.isInteger(t.frames_window))||t.frames_needed<1||t.frames_needed>t.frames_window||t.frames_window>ct?"invalid_frames":!Number.isFinite(t.clear_after)||t.clear_after<0||t.clear_after>dt?"invalid_clear_after":null:"invalid_threshold":"invalid_labels"}get valid(){return!this.drawing&&this.detectionProblem()===null&&this.regionProblems().every(t=>t===null)}payloadId(t,e){if(t.id===void 0)return;let i=this.originalNames.get(e);return i===void 0||i===t.name?t.id:void 0}payload(){return{rois:this.regions.map((t,e)=>{let i={name:t.name.trim(),points:t.points.map(r=>[r[0],r[1]]),labels:[...t.labels]},s=this.payloadId(t,e);return s!==void 0&&(i.id=s),t.min_score!=null&&(i.min_score=t.min_score),i}),detection:{...this.detection,labels:[...this.detection.labels]}}}};function Be(n,t){n.dispatchEvent(new CustomEvent("config-changed",{detail:{config:t},bubbles:!0,composed:!0}))}var Y=n=>n?.locale?.language??n?.language??"en";var We={card:{name:"Bobby Camera",description:"The live picture with the detected persons and the regions; admins draw the regions on it.",persons:"{count} persons",person:"1 person",no_person:"No person",edit:"Edit regions",no_entity:"Choose a Bobby Camera camera in the card's settings.",not_found:"{entity} is not a Bobby Camera camera.",loading:"Loading…",unavailable:"The picture is not available.",error:"Error: {error}"},edit:{title:"Regions of {name}",hint_view:"Click a region to select it; drag it to move it, drag its points to reshape it, click a small point on an edge to add one.",hint_drawing:"Click on the picture to add points; click the first point to close the region.",add_region:"Add region",finish:"Close region",cancel_drawing:"Cancel drawing",remove_point:"Remove point",delete_region:"Delete region",region:"Region",name:"Name",labels:"Labels (comma separated)",min_score:"Minimum score (%, empty: the camera's threshold)",detection:"Detection settings",threshold:"Threshold (%)",min_area:"Minimum box area (% of the picture)",max_area:"Maximum box area (% of the picture)",frames_needed:"Frames needed",frames_window:"Frames window",clear_after:"Clear after (s)",area_boxes:"Dashed boxes: the minimum and maximum box area, to scale.",no_regions:"No regions: the whole picture counts.",save:"Save",saving:"Saving…",cancel:"Cancel",close:"Close",unsaved:"Unsaved changes",invalid:"Fix the marked problems before saving."},ack:{applied:"Applied by {service}, version {version}",refused:"Refused by {service} (version {version}): {error}",waiting:"Sent as version {version}; waiting for the detection service to acknowledge it.",last:"Last set: {status}"},problems:{too_few_points:"{region}: a region needs at least 3 points",too_many_points:"{region}: a region has at most 64 points",point_out_of_range:"{region}: every point must be inside the picture",degenerate_polygon:"{region}: the points do not enclose an area",self_intersecting:"{region}: the outline crosses itself",invalid_name:"{region}: give the region a name with letters or digits",duplicate_name:"{region}: another region has this name",invalid_labels:"{region}: give at least one label",invalid_min_score:"{region}: the minimum score is between 0 and 100 %",invalid_threshold:"The threshold is between 0 and 100 %",invalid_area:"The minimum box area must be below the maximum",invalid_frames:"Frames needed must be between 1 and the frames window (at most 30)",invalid_clear_after:"Clear after is between 0 and 3600 seconds",too_many_regions:"At most 32 regions"},editor:{entity:"Camera (Bobby Camera live view)",title:"Title",show_boxes:"Show the detected boxes",show_regions:"Show the regions"}};var ge={en:We};function _e(n,t){let e=n;for(let i of t.split(".")){if(e===void 0||typeof e=="string")return;e=e[i]}return typeof e=="string"?e:void 0}function f(n,t,e={}){let i=(n??"en").toLowerCase();return(_e(ge[i],t)??_e(ge[i.split("-")[0]],t)??_e(ge.en,t)??t).replace(/\{(\w+)\}/g,(r,o)=>o in e?String(e[o]):r)}function Z(n,t,e){if(!t||e!==void 0&&(t.version??-1)<e)return e===void 0?"":f(n,"ack.waiting",{version:e});let i={service:t.service??"?",version:t.version??"?",error:t.error??""};return f(n,t.ok?"ack.applied":"ack.refused",i)}function Ge(n,t){return t<=0?f(n,"card.no_person"):t===1?f(n,"card.person"):f(n,"card.persons",{count:t})}var ut=[{name:"entity",required:!0,selector:{entity:{domain:"camera",integration:"bobby_camera"}}},{name:"title",selector:{text:{}}},{name:"show_boxes",selector:{boolean:{}}},{name:"show_regions",selector:{boolean:{}}}],z=class extends b{constructor(){super(...arguments);this._label=e=>f(Y(this.hass),`editor.${e.name}`)}setConfig(e){this._config=e}_changed(e){e.stopPropagation();let i={...e.detail.value,type:this._config?.type??"custom:bobby-camera-card"};Be(this,i)}render(){return!this.hass||!this._config?p``:p`<ha-form
      .hass=${this.hass}
      .data=${{show_boxes:!0,show_regions:!0,...this._config}}
      .schema=${ut}
      .computeLabel=${this._label}
      @value-changed=${this._changed}
    ></ha-form>`}};z.properties={hass:{attribute:!1},_config:{state:!0}},z.styles=T`
    :host {
      display: block;
    }
  `;customElements.get("bobby-camera-card-editor")||customElements.define("bobby-camera-card-editor",z);var Q="bobby-camera-card",pt=4e3,mt=[640,480],I=class extends b{constructor(){super(...arguments);this._detectionsAt=0;this._editing=!1;this._status="";this._saving=!1;this._rev=0;this._width=0;this._imageFailed=!1}static getConfigElement(){return document.createElement("bobby-camera-card-editor")}static getStubConfig(e){let i=Object.values(e.entities??{}).find(r=>r?.platform==="bobby_camera"&&r.entity_id.startsWith("camera.")),s=Object.keys(e.states).find(r=>r.startsWith("camera."));return{type:`custom:${Q}`,entity:i?.entity_id??s??""}}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");if(e.entity!==void 0&&(typeof e.entity!="string"||e.entity&&!e.entity.startsWith("camera.")))throw new Error("entity must be a camera entity (camera.…)");let i=e.entity!==this._config?.entity;this._config={show_boxes:!0,show_regions:!0,...e},i&&this._reset()}getCardSize(){return this._editing?12:6}getGridOptions(){return{columns:12,min_columns:6,rows:"auto"}}get _lang(){return Y(this.hass)}_t(e,i){return f(this._lang,e,i)}connectedCallback(){super.connectedCallback(),this._tick=window.setInterval(()=>{this._detections&&Date.now()-this._detectionsAt>pt&&(this._detections=void 0)},1e3),this.hass&&this._config?.entity&&this._load()}disconnectedCallback(){super.disconnectedCallback(),window.clearInterval(this._tick),this._resize?.disconnect(),this._resize=void 0,this._unsubscribe(),this._loadedFor=void 0}firstUpdated(){this._observe()}updated(e){e.has("hass")&&this.hass&&this._config?.entity&&this._loadedFor!==this._config.entity&&this._load(),this._observe()}_observe(){let e=this.renderRoot.querySelector(".picture");!e||this._resize||(this._resize=new ResizeObserver(i=>{this._width=i[0]?.contentRect.width??0}),this._resize.observe(e))}_reset(){this._unsubscribe(),this._loadedFor=void 0,this._camera=void 0,this._detections=void 0,this._editing=!1,this._state=void 0,this._error=void 0,this._status=""}_unsubscribe(){let e=this._unsub;this._unsub=void 0,e?.then(i=>i()).catch(()=>{})}async _load(){let e=this._config?.entity;if(!(!this.hass||!e)){this._loadedFor=e;try{let i=await this.hass.callWS({type:"bobby_camera/get_config",entity_id:e});if(this._loadedFor!==e)return;this._camera=i,this._error=void 0,!this._status&&i.last_ack&&(this._status=this._t("ack.last",{status:Z(this._lang,i.last_ack)}))}catch(i){let s=i;this._error=s.code==="not_found"?this._t("card.not_found",{entity:e}):this._t("card.error",{error:s.message??String(i)});return}this._unsub||(this._unsub=this.hass.connection.subscribeMessage(i=>this._onMessage(i),{type:"bobby_camera/subscribe_detections",entity_id:e}),this._unsub.catch(i=>{this._unsub=void 0,this._error=this._t("card.error",{error:i.message??String(i)})}))}}_onMessage(e){if(e.detections&&(this._detections=e.detections,this._detectionsAt=Date.now(),!this._size&&e.detections.size&&(this._size=e.detections.size)),e.ack){let i=e.ack;this._camera&&(this._camera={...this._camera,last_ack:i}),(this._sentVersion===void 0||(i.version??-1)>=this._sentVersion)&&(this._status=Z(this._lang,i,this._sentVersion))}}get _picSize(){return this._size??this._camera?.resolution??mt}_imageUrl(){let e=this._camera?.camera_entity??this._config?.entity,i=e?this.hass?.states[e]:void 0;if(!this.hass||!i||i.state==="unavailable")return;let s=i.attributes.access_token;return this._imageFailed?i.attributes.entity_picture?this.hass.hassUrl(i.attributes.entity_picture):void 0:s?this.hass.hassUrl(`/api/camera_proxy_stream/${e}?token=${encodeURIComponent(s)}`):void 0}_onImageLoad(e){let i=e.target;if(i.naturalWidth>0&&i.naturalHeight>0){let s=[i.naturalWidth,i.naturalHeight];(!this._size||this._size[0]!==s[0]||this._size[1]!==s[1])&&(this._size=s)}}get _unit(){return this._width>0?this._picSize[0]/this._width:1}_pts(e){let[i,s]=this._picSize;return e.map(([r,o])=>`${r*i},${o*s}`).join(" ")}_regionsView(){let e=this._camera;if(!e||this._config?.show_regions===!1)return[];let[i,s]=this._picSize,r=this._unit;return e.rois.map(o=>{let c=o.id?e.region_entities[o.id]:void 0,l=c?this.hass?.states[c]?.state==="on":!1,[a,d]=pe(o.points);return y`<g class="region ${l?"on":""}">
        <polygon points=${this._pts(o.points)}></polygon>
        <text x=${a*i} y=${d*s} font-size=${14*r} text-anchor="middle" dominant-baseline="middle">${o.name}</text>
      </g>`})}_boxesView(){let e=this._detections;if(!e||this._config?.show_boxes===!1)return[];let[i,s]=this._picSize,r=this._unit;return e.objects.map(o=>{let[c,l,a,d]=o.box,[h,m]=Ie(o.box),g=`${o.label} ${Math.round(o.score*100)}%`;return y`<g class="box">
        <rect x=${c*i} y=${l*s} width=${(a-c)*i} height=${(d-l)*s}></rect>
        <circle class="foot" cx=${h*i} cy=${m*s} r=${4*r}></circle>
        <text x=${c*i+3*r} y=${Math.max(l*s-4*r,14*r)} font-size=${13*r}>${g}</text>
      </g>`})}_editView(){let e=this._state;if(!e)return[];let[i,s]=this._picSize,r=this._unit,o=e.regionProblems(),c=[];for(let[a,d]of[["min-area",e.detection.min_area],["max-area",e.detection.max_area]])if(d>0&&d<1){let[h,m,g,S]=Le(d);c.push(y`<rect class="area ${a}" x=${h*i} y=${m*s} width=${(g-h)*i} height=${(S-m)*s}></rect>`)}e.regions.forEach((a,d)=>{let h=d===e.selected,[m,g]=pe(a.points);c.push(y`<g class="region edit ${h?"selected":""} ${o[d]?"invalid":""}" data-index=${d}>
        <polygon points=${this._pts(a.points)}></polygon>
        <text x=${m*i} y=${g*s} font-size=${14*r} text-anchor="middle" dominant-baseline="middle">${a.name}</text>
      </g>`)});let l=e.regions[e.selected];return l&&!e.drawing&&(K(l.points).forEach(([a,d])=>c.push(y`<circle class="mid" cx=${a*i} cy=${d*s} r=${5*r}></circle>`)),l.points.forEach(([a,d],h)=>c.push(y`<circle class="vertex ${h===e.selectedPoint?"current":""}" cx=${a*i} cy=${d*s} r=${7*r}></circle>`))),e.drawing&&(c.push(y`<polyline class="drawing" points=${this._pts(e.drawing)}></polyline>`),e.drawing.forEach(([a,d],h)=>c.push(y`<circle class="vertex ${h===0&&e.drawing.length>=3?"first":""}" cx=${a*i} cy=${d*s} r=${(h===0?9:6)*r}></circle>`))),c}_point(e){let i=e.currentTarget.getBoundingClientRect();return{p:Ue(e.clientX,e.clientY,i),w:i.width,h:i.height}}_onPointerDown(e){let i=this._state;if(!this._editing||!i||e.button>0)return;e.preventDefault();let{p:s,w:r,h:o}=this._point(e);i.pointerDown(s,r,o,e.pointerType==="touch"?22:11),i.dragging&&e.currentTarget.setPointerCapture?.(e.pointerId),this._rev++}_onPointerMove(e){let i=this._state;i?.dragging&&(e.preventDefault(),i.pointerMove(this._point(e).p)&&this._rev++)}_onPointerUp(e){let i=this._state;i?.dragging&&(i.pointerUp(),e.currentTarget.releasePointerCapture?.(e.pointerId),this._rev++)}_onContextMenu(e){let i=this._state;!this._editing||!i||(e.preventDefault(),i.selectedPoint>=0&&(i.removePoint(i.selected,i.selectedPoint),i.pointerUp(),this._rev++))}_startEditing(){let e=this._camera;e&&(this._state=new q(e.rois,e.detection),this._editing=!0,this._status="")}_stopEditing(){this._editing=!1,this._state=void 0}_act(e){this._state&&(e(this._state),this._rev++)}_num(e){let i=e.target.value.trim();return i===""?null:Number(i)}_setDetection(e,i,s=1){let r=this._num(i);this._act(o=>o.setDetection(e,r===null?NaN:Math.round(r*s*1e4)/1e4))}async _save(){let e=this._state,i=this._config?.entity;if(!(!e||!i||!this.hass||!e.valid)){this._saving=!0,this._status=this._t("edit.saving");try{let s=await this.hass.callWS({type:"bobby_camera/save_rois",entity_id:i,...e.payload()});this._sentVersion=s.version,this._status=Z(this._lang,s.ack,s.version),this._stopEditing(),this._loadedFor=void 0,await this._load()}catch(s){let r=s,o=r.translation_key?`problems.${r.translation_key}`:"",c=o&&f("en",o)!==o;this._status=c?this._t(o,r.translation_placeholders??{}):this._t("card.error",{error:r.message??String(s)})}finally{this._saving=!1}}}render(){if(!this._config)return p``;let e=this._config.title??this._camera?.name;if(!this._config.entity)return p`<ha-card .header=${e}><div class="message">${this._t("card.no_entity")}</div></ha-card>`;let[i,s]=this._picSize,r=this._imageUrl(),o=this.hass?.user?.is_admin===!0;return p`<ha-card .header=${e}>
      ${this._error?p`<div class="message error">${this._error}</div>`:u}
      <div class="picture" style="aspect-ratio: ${i} / ${s}">
        ${r?p`<img src=${r} alt="" @load=${this._onImageLoad} @error=${()=>this._imageFailed=!0} />`:p`<div class="unavailable">${this._t(this._camera?"card.unavailable":"card.loading")}</div>`}
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
          ${this._editing?this._editView():[...this._regionsView(),...this._boxesView()]}
        </svg>
        ${this._editing?u:p`<div class="count">${this._countText()}</div>`}
      </div>
      ${this._editing?this._editPanel():this._footer(o)}
    </ha-card>`}_countText(){let e=this._camera?.count_entity,i=e?this.hass?.states[e]?.state:void 0,s=i!==void 0&&i!==""&&!Number.isNaN(Number(i))?Number(i):this._detections?.persons??0;return Ge(this._lang,s)}_footer(e){return p`<div class="footer">
      <span class="status" role="status">${this._status}</span>
      ${e&&this._camera?p`<button class="primary" @click=${this._startEditing}>${this._t("card.edit")}</button>`:u}
    </div>`}_editPanel(){let e=this._state,i=e.regionProblems(),s=e.detectionProblem(),r=e.regions[e.selected],o=[...i.flatMap((a,d)=>a?[this._t(`problems.${a}`,{region:e.regions[d].name||"?"})]:[]),...s?[this._t(`problems.${s}`)]:[],...e.regions.length>J?[this._t("problems.too_many_regions")]:[]],c=e.detection,l=a=>a==null||Number.isNaN(a)?"":String(Math.round(a*1e4)/100);return p`<div class="edit">
      <div class="hint">${this._t(e.drawing?"edit.hint_drawing":"edit.hint_view")}</div>
      <div class="toolbar">
        ${e.drawing?p`<button class="finish" ?disabled=${e.drawing.length<3} @click=${()=>this._act(a=>a.closeDrawing())}>${this._t("edit.finish")}</button>
              <button @click=${()=>this._act(a=>a.cancelDrawing())}>${this._t("edit.cancel_drawing")}</button>`:p`<button class="add" ?disabled=${e.regions.length>=J} @click=${()=>this._act(a=>a.startDrawing())}>${this._t("edit.add_region")}</button>`}
        ${r&&!e.drawing?p`<button class="remove-point" ?disabled=${e.selectedPoint<0} @click=${()=>this._act(a=>a.removePoint(a.selected,a.selectedPoint))}>
                ${this._t("edit.remove_point")}
              </button>
              <button class="delete" @click=${()=>this._act(a=>a.deleteRegion(a.selected))}>${this._t("edit.delete_region")}</button>`:u}
      </div>
      ${r&&!e.drawing?p`<fieldset class="region-form">
            <legend>${this._t("edit.region")}</legend>
            <label>${this._t("edit.name")}<input class="name" .value=${r.name} @input=${a=>this._act(d=>d.rename(d.selected,a.target.value))} /></label>
            <label>${this._t("edit.labels")}<input class="labels" .value=${r.labels.join(", ")} @change=${a=>this._act(d=>d.setLabels(d.selected,a.target.value.split(",")))} /></label>
            <label>${this._t("edit.min_score")}<input class="min-score" type="number" min="0" max="100" step="1" .value=${l(r.min_score)}
              @change=${a=>{let d=this._num(a);this._act(h=>h.setMinScore(h.selected,d===null?null:Math.round(d*100)/1e4))}} /></label>
          </fieldset>`:p`<div class="regions-summary">${e.regions.length?e.regions.map(a=>a.name).join(", "):this._t("edit.no_regions")}</div>`}
      <details class="detection">
        <summary>${this._t("edit.detection")}</summary>
        <div class="grid">
          <label>${this._t("edit.threshold")}<input class="threshold" type="number" min="1" max="100" step="1" .value=${l(c.threshold)} @change=${a=>this._setDetection("threshold",a,.01)} /></label>
          <label>${this._t("edit.min_area")}<input class="min-area" type="number" min="0" max="100" step="0.1" .value=${l(c.min_area)} @input=${a=>this._setDetection("min_area",a,.01)} /></label>
          <label>${this._t("edit.max_area")}<input class="max-area" type="number" min="0.1" max="100" step="0.1" .value=${l(c.max_area)} @input=${a=>this._setDetection("max_area",a,.01)} /></label>
          <label>${this._t("edit.frames_needed")}<input class="frames-needed" type="number" min="1" max="30" step="1" .value=${String(c.frames_needed)} @change=${a=>this._setDetection("frames_needed",a)} /></label>
          <label>${this._t("edit.frames_window")}<input class="frames-window" type="number" min="1" max="30" step="1" .value=${String(c.frames_window)} @change=${a=>this._setDetection("frames_window",a)} /></label>
          <label>${this._t("edit.clear_after")}<input class="clear-after" type="number" min="0" max="3600" step="0.5" .value=${String(c.clear_after)} @change=${a=>this._setDetection("clear_after",a)} /></label>
        </div>
        <div class="hint">${this._t("edit.area_boxes")}</div>
      </details>
      ${o.length?p`<ul class="problems">${o.map(a=>p`<li>${a}</li>`)}</ul>`:u}
      <div class="footer">
        <span class="status" role="status">${this._status||(e.dirty?this._t("edit.unsaved"):"")}</span>
        <button @click=${this._stopEditing}>${this._t("edit.cancel")}</button>
        <button class="primary save" ?disabled=${!e.valid||e.regions.length>J||this._saving} @click=${this._save}>${this._t(this._saving?"edit.saving":"edit.save")}</button>
      </div>
    </div>`}};I.properties={hass:{attribute:!1},_config:{state:!0},_camera:{state:!0},_error:{state:!0},_detections:{state:!0},_editing:{state:!0},_status:{state:!0},_saving:{state:!0},_rev:{state:!0},_size:{state:!0},_width:{state:!0},_imageFailed:{state:!0}},I.styles=T`
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
    .region polygon {
      fill: rgba(3, 169, 244, 0.08);
      stroke: var(--bobby-region-color, #03a9f4);
      stroke-width: 2;
    }
    .region.on polygon {
      fill: rgba(255, 152, 0, 0.35);
      stroke: var(--bobby-region-on-color, #ff9800);
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
    .region text,
    .box text {
      fill: #fff;
      paint-order: stroke;
      stroke: rgba(0, 0, 0, 0.7);
      stroke-width: 3px;
      pointer-events: none;
      font-family: var(--paper-font-body1_-_font-family, sans-serif);
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
  `;if(!customElements.get(Q)){customElements.define(Q,I);let n=window;n.customCards=n.customCards??[],n.customCards.push({type:Q,name:f(navigator.language,"card.name"),description:f(navigator.language,"card.description"),preview:!0,documentationURL:"https://github.com/bobby-camera/bobby-camera/blob/main/docs/home-assistant.md#the-dashboard-card"})}export{I as BobbyCameraCard};
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
