// Bobby Camera card: built from frontend/ by `make frontend`; do not edit.
var lt=globalThis,ct=lt.ShadowRoot&&(lt.ShadyCSS===void 0||lt.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,Nt=Symbol(),te=new WeakMap,X=class{constructor(t,e,i){if(this._$cssResult$=!0,i!==Nt)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=t,this.t=e}get styleSheet(){let t=this.o,e=this.t;if(ct&&t===void 0){let i=e!==void 0&&e.length===1;i&&(t=te.get(e)),t===void 0&&((this.o=t=new CSSStyleSheet).replaceSync(this.cssText),i&&te.set(e,t))}return t}toString(){return this.cssText}},ee=n=>new X(typeof n=="string"?n:n+"",void 0,Nt),G=(n,...t)=>{let e=n.length===1?n[0]:t.reduce((i,s,r)=>i+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(s)+n[r+1],n[0]);return new X(e,n,Nt)},ie=(n,t)=>{if(ct)n.adoptedStyleSheets=t.map(e=>e instanceof CSSStyleSheet?e:e.styleSheet);else for(let e of t){let i=document.createElement("style"),s=lt.litNonce;s!==void 0&&i.setAttribute("nonce",s),i.textContent=e.cssText,n.appendChild(i)}},It=ct?n=>n:n=>n instanceof CSSStyleSheet?(t=>{let e="";for(let i of t.cssRules)e+=i.cssText;return ee(e)})(n):n;var{is:si,defineProperty:ri,getOwnPropertyDescriptor:oi,getOwnPropertyNames:ai,getOwnPropertySymbols:li,getPrototypeOf:ci}=Object,dt=globalThis,ne=dt.trustedTypes,di=ne?ne.emptyScript:"",hi=dt.reactiveElementPolyfillSupport,K=(n,t)=>n,Ut={toAttribute(n,t){switch(t){case Boolean:n=n?di:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,t){let e=n;switch(t){case Boolean:e=n!==null;break;case Number:e=n===null?null:Number(n);break;case Object:case Array:try{e=JSON.parse(n)}catch{e=null}}return e}},re=(n,t)=>!si(n,t),se={attribute:!0,type:String,converter:Ut,reflect:!1,useDefault:!1,hasChanged:re};Symbol.metadata??=Symbol("metadata"),dt.litPropertyMetadata??=new WeakMap;var D=class extends HTMLElement{static addInitializer(t){this._$Ei(),(this.l??=[]).push(t)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(t,e=se){if(e.state&&(e.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(t)&&((e=Object.create(e)).wrapped=!0),this.elementProperties.set(t,e),!e.noAccessor){let i=Symbol(),s=this.getPropertyDescriptor(t,i,e);s!==void 0&&ri(this.prototype,t,s)}}static getPropertyDescriptor(t,e,i){let{get:s,set:r}=oi(this.prototype,t)??{get(){return this[e]},set(o){this[e]=o}};return{get:s,set(o){let l=s?.call(this);r?.call(this,o),this.requestUpdate(t,l,i)},configurable:!0,enumerable:!0}}static getPropertyOptions(t){return this.elementProperties.get(t)??se}static _$Ei(){if(this.hasOwnProperty(K("elementProperties")))return;let t=ci(this);t.finalize(),t.l!==void 0&&(this.l=[...t.l]),this.elementProperties=new Map(t.elementProperties)}static finalize(){if(this.hasOwnProperty(K("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(K("properties"))){let e=this.properties,i=[...ai(e),...li(e)];for(let s of i)this.createProperty(s,e[s])}let t=this[Symbol.metadata];if(t!==null){let e=litPropertyMetadata.get(t);if(e!==void 0)for(let[i,s]of e)this.elementProperties.set(i,s)}this._$Eh=new Map;for(let[e,i]of this.elementProperties){let s=this._$Eu(e,i);s!==void 0&&this._$Eh.set(s,e)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(t){let e=[];if(Array.isArray(t)){let i=new Set(t.flat(1/0).reverse());for(let s of i)e.unshift(It(s))}else t!==void 0&&e.push(It(t));return e}static _$Eu(t,e){let i=e.attribute;return i===!1?void 0:typeof i=="string"?i:typeof t=="string"?t.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(t=>this.enableUpdating=t),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(t=>t(this))}addController(t){(this._$EO??=new Set).add(t),this.renderRoot!==void 0&&this.isConnected&&t.hostConnected?.()}removeController(t){this._$EO?.delete(t)}_$E_(){let t=new Map,e=this.constructor.elementProperties;for(let i of e.keys())this.hasOwnProperty(i)&&(t.set(i,this[i]),delete this[i]);t.size>0&&(this._$Ep=t)}createRenderRoot(){let t=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return ie(t,this.constructor.elementStyles),t}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(t=>t.hostConnected?.())}enableUpdating(t){}disconnectedCallback(){this._$EO?.forEach(t=>t.hostDisconnected?.())}attributeChangedCallback(t,e,i){this._$AK(t,i)}_$ET(t,e){let i=this.constructor.elementProperties.get(t),s=this.constructor._$Eu(t,i);if(s!==void 0&&i.reflect===!0){let r=(i.converter?.toAttribute!==void 0?i.converter:Ut).toAttribute(e,i.type);this._$Em=t,r==null?this.removeAttribute(s):this.setAttribute(s,r),this._$Em=null}}_$AK(t,e){let i=this.constructor,s=i._$Eh.get(t);if(s!==void 0&&this._$Em!==s){let r=i.getPropertyOptions(s),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:Ut;this._$Em=s;let l=o.fromAttribute(e,r.type);this[s]=l??this._$Ej?.get(s)??l,this._$Em=null}}requestUpdate(t,e,i,s=!1,r){if(t!==void 0){let o=this.constructor;if(s===!1&&(r=this[t]),i??=o.getPropertyOptions(t),!((i.hasChanged??re)(r,e)||i.useDefault&&i.reflect&&r===this._$Ej?.get(t)&&!this.hasAttribute(o._$Eu(t,i))))return;this.C(t,e,i)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(t,e,{useDefault:i,reflect:s,wrapped:r},o){i&&!(this._$Ej??=new Map).has(t)&&(this._$Ej.set(t,o??e??this[t]),r!==!0||o!==void 0)||(this._$AL.has(t)||(this.hasUpdated||i||(e=void 0),this._$AL.set(t,e)),s===!0&&this._$Em!==t&&(this._$Eq??=new Set).add(t))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(e){Promise.reject(e)}let t=this.scheduleUpdate();return t!=null&&await t,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,r]of this._$Ep)this[s]=r;this._$Ep=void 0}let i=this.constructor.elementProperties;if(i.size>0)for(let[s,r]of i){let{wrapped:o}=r,l=this[s];o!==!0||this._$AL.has(s)||l===void 0||this.C(s,void 0,r,l)}}let t=!1,e=this._$AL;try{t=this.shouldUpdate(e),t?(this.willUpdate(e),this._$EO?.forEach(i=>i.hostUpdate?.()),this.update(e)):this._$EM()}catch(i){throw t=!1,this._$EM(),i}t&&this._$AE(e)}willUpdate(t){}_$AE(t){this._$EO?.forEach(e=>e.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(t)),this.updated(t)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(t){return!0}update(t){this._$Eq&&=this._$Eq.forEach(e=>this._$ET(e,this[e])),this._$EM()}updated(t){}firstUpdated(t){}};D.elementStyles=[],D.shadowRootOptions={mode:"open"},D[K("elementProperties")]=new Map,D[K("finalized")]=new Map,hi?.({ReactiveElement:D}),(dt.reactiveElementVersions??=[]).push("2.1.2");var jt=globalThis,oe=n=>n,ht=jt.trustedTypes,ae=ht?ht.createPolicy("lit-html",{createHTML:n=>n}):void 0,pe="$lit$",I=`lit$${Math.random().toFixed(9).slice(2)}$`,me="?"+I,ui=`<${me}>`,z=document,Y=()=>z.createComment(""),J=n=>n===null||typeof n!="object"&&typeof n!="function",qt=Array.isArray,pi=n=>qt(n)||typeof n?.[Symbol.iterator]=="function",Ht=`[ 	
\f\r]`,Z=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,le=/-->/g,ce=/>/g,H=RegExp(`>|${Ht}(?:([^\\s"'>=/]+)(${Ht}*=${Ht}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),de=/'/g,he=/"/g,ge=/^(?:script|style|textarea|title)$/i,Wt=n=>(t,...e)=>({_$litType$:n,strings:t,values:e}),g=Wt(1),C=Wt(2),en=Wt(3),L=Symbol.for("lit-noChange"),b=Symbol.for("lit-nothing"),ue=new WeakMap,O=z.createTreeWalker(z,129);function fe(n,t){if(!qt(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return ae!==void 0?ae.createHTML(t):t}var mi=(n,t)=>{let e=n.length-1,i=[],s,r=t===2?"<svg>":t===3?"<math>":"",o=Z;for(let l=0;l<e;l++){let a=n[l],u,d,c=-1,p=0;for(;p<a.length&&(o.lastIndex=p,d=o.exec(a),d!==null);)p=o.lastIndex,o===Z?d[1]==="!--"?o=le:d[1]!==void 0?o=ce:d[2]!==void 0?(ge.test(d[2])&&(s=RegExp("</"+d[2],"g")),o=H):d[3]!==void 0&&(o=H):o===H?d[0]===">"?(o=s??Z,c=-1):d[1]===void 0?c=-2:(c=o.lastIndex-d[2].length,u=d[1],o=d[3]===void 0?H:d[3]==='"'?he:de):o===he||o===de?o=H:o===le||o===ce?o=Z:(o=H,s=void 0);let h=o===H&&n[l+1].startsWith("/>")?" ":"";r+=o===Z?a+ui:c>=0?(i.push(u),a.slice(0,c)+pe+a.slice(c)+I+h):a+I+(c===-2?l:h)}return[fe(n,r+(n[e]||"<?>")+(t===2?"</svg>":t===3?"</math>":"")),i]},Q=class n{constructor({strings:t,_$litType$:e},i){let s;this.parts=[];let r=0,o=0,l=t.length-1,a=this.parts,[u,d]=mi(t,e);if(this.el=n.createElement(u,i),O.currentNode=this.el.content,e===2||e===3){let c=this.el.content.firstChild;c.replaceWith(...c.childNodes)}for(;(s=O.nextNode())!==null&&a.length<l;){if(s.nodeType===1){if(s.hasAttributes())for(let c of s.getAttributeNames())if(c.endsWith(pe)){let p=d[o++],h=s.getAttribute(c).split(I),f=/([.?@])?(.*)/.exec(p);a.push({type:1,index:r,name:f[2],strings:h,ctor:f[1]==="."?zt:f[1]==="?"?Lt:f[1]==="@"?Vt:j}),s.removeAttribute(c)}else c.startsWith(I)&&(a.push({type:6,index:r}),s.removeAttribute(c));if(ge.test(s.tagName)){let c=s.textContent.split(I),p=c.length-1;if(p>0){s.textContent=ht?ht.emptyScript:"";for(let h=0;h<p;h++)s.append(c[h],Y()),O.nextNode(),a.push({type:2,index:++r});s.append(c[p],Y())}}}else if(s.nodeType===8)if(s.data===me)a.push({type:2,index:r});else{let c=-1;for(;(c=s.data.indexOf(I,c+1))!==-1;)a.push({type:7,index:r}),c+=I.length-1}r++}}static createElement(t,e){let i=z.createElement("template");return i.innerHTML=t,i}};function F(n,t,e=n,i){if(t===L)return t;let s=i!==void 0?e._$Co?.[i]:e._$Cl,r=J(t)?void 0:t._$litDirective$;return s?.constructor!==r&&(s?._$AO?.(!1),r===void 0?s=void 0:(s=new r(n),s._$AT(n,e,i)),i!==void 0?(e._$Co??=[])[i]=s:e._$Cl=s),s!==void 0&&(t=F(n,s._$AS(n,t.values),s,i)),t}var Ot=class{constructor(t,e){this._$AV=[],this._$AN=void 0,this._$AD=t,this._$AM=e}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(t){let{el:{content:e},parts:i}=this._$AD,s=(t?.creationScope??z).importNode(e,!0);O.currentNode=s;let r=O.nextNode(),o=0,l=0,a=i[0];for(;a!==void 0;){if(o===a.index){let u;a.type===2?u=new tt(r,r.nextSibling,this,t):a.type===1?u=new a.ctor(r,a.name,a.strings,this,t):a.type===6&&(u=new Ft(r,this,t)),this._$AV.push(u),a=i[++l]}o!==a?.index&&(r=O.nextNode(),o++)}return O.currentNode=z,s}p(t){let e=0;for(let i of this._$AV)i!==void 0&&(i.strings!==void 0?(i._$AI(t,i,e),e+=i.strings.length-2):i._$AI(t[e])),e++}},tt=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(t,e,i,s){this.type=2,this._$AH=b,this._$AN=void 0,this._$AA=t,this._$AB=e,this._$AM=i,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let t=this._$AA.parentNode,e=this._$AM;return e!==void 0&&t?.nodeType===11&&(t=e.parentNode),t}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(t,e=this){t=F(this,t,e),J(t)?t===b||t==null||t===""?(this._$AH!==b&&this._$AR(),this._$AH=b):t!==this._$AH&&t!==L&&this._(t):t._$litType$!==void 0?this.$(t):t.nodeType!==void 0?this.T(t):pi(t)?this.k(t):this._(t)}O(t){return this._$AA.parentNode.insertBefore(t,this._$AB)}T(t){this._$AH!==t&&(this._$AR(),this._$AH=this.O(t))}_(t){this._$AH!==b&&J(this._$AH)?this._$AA.nextSibling.data=t:this.T(z.createTextNode(t)),this._$AH=t}$(t){let{values:e,_$litType$:i}=t,s=typeof i=="number"?this._$AC(t):(i.el===void 0&&(i.el=Q.createElement(fe(i.h,i.h[0]),this.options)),i);if(this._$AH?._$AD===s)this._$AH.p(e);else{let r=new Ot(s,this),o=r.u(this.options);r.p(e),this.T(o),this._$AH=r}}_$AC(t){let e=ue.get(t.strings);return e===void 0&&ue.set(t.strings,e=new Q(t)),e}k(t){qt(this._$AH)||(this._$AH=[],this._$AR());let e=this._$AH,i,s=0;for(let r of t)s===e.length?e.push(i=new n(this.O(Y()),this.O(Y()),this,this.options)):i=e[s],i._$AI(r),s++;s<e.length&&(this._$AR(i&&i._$AB.nextSibling,s),e.length=s)}_$AR(t=this._$AA.nextSibling,e){for(this._$AP?.(!1,!0,e);t!==this._$AB;){let i=oe(t).nextSibling;oe(t).remove(),t=i}}setConnected(t){this._$AM===void 0&&(this._$Cv=t,this._$AP?.(t))}},j=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(t,e,i,s,r){this.type=1,this._$AH=b,this._$AN=void 0,this.element=t,this.name=e,this._$AM=s,this.options=r,i.length>2||i[0]!==""||i[1]!==""?(this._$AH=Array(i.length-1).fill(new String),this.strings=i):this._$AH=b}_$AI(t,e=this,i,s){let r=this.strings,o=!1;if(r===void 0)t=F(this,t,e,0),o=!J(t)||t!==this._$AH&&t!==L,o&&(this._$AH=t);else{let l=t,a,u;for(t=r[0],a=0;a<r.length-1;a++)u=F(this,l[i+a],e,a),u===L&&(u=this._$AH[a]),o||=!J(u)||u!==this._$AH[a],u===b?t=b:t!==b&&(t+=(u??"")+r[a+1]),this._$AH[a]=u}o&&!s&&this.j(t)}j(t){t===b?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,t??"")}},zt=class extends j{constructor(){super(...arguments),this.type=3}j(t){this.element[this.name]=t===b?void 0:t}},Lt=class extends j{constructor(){super(...arguments),this.type=4}j(t){this.element.toggleAttribute(this.name,!!t&&t!==b)}},Vt=class extends j{constructor(t,e,i,s,r){super(t,e,i,s,r),this.type=5}_$AI(t,e=this){if((t=F(this,t,e,0)??b)===L)return;let i=this._$AH,s=t===b&&i!==b||t.capture!==i.capture||t.once!==i.once||t.passive!==i.passive,r=t!==b&&(i===b||s);s&&this.element.removeEventListener(this.name,this,i),r&&this.element.addEventListener(this.name,this,t),this._$AH=t}handleEvent(t){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,t):this._$AH.handleEvent(t)}},Ft=class{constructor(t,e,i){this.element=t,this.type=6,this._$AN=void 0,this._$AM=e,this.options=i}get _$AU(){return this._$AM._$AU}_$AI(t){F(this,t)}};var gi=jt.litHtmlPolyfillSupport;gi?.(Q,tt),(jt.litHtmlVersions??=[]).push("3.3.3");var be=(n,t,e)=>{let i=e?.renderBefore??t,s=i._$litPart$;if(s===void 0){let r=e?.renderBefore??null;i._$litPart$=s=new tt(t.insertBefore(Y(),r),r,void 0,e??{})}return s._$AI(n),s};var Bt=globalThis,k=class extends D{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let t=super.createRenderRoot();return this.renderOptions.renderBefore??=t.firstChild,t}update(t){let e=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(t),this._$Do=be(e,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return L}};k._$litElement$=!0,k.finalized=!0,Bt.litElementHydrateSupport?.({LitElement:k});var fi=Bt.litElementPolyfillSupport;fi?.({LitElement:k});(Bt.litElementVersions??=[]).push("4.2.2");function Xt(n,t){return t?{...n,camera_entity:t.camera_entity??n.camera_entity,person_entity:t.person_entity??n.person_entity,count_entity:t.count_entity??n.count_entity,region_entities:{...n.region_entities,...t.region_entities}}:n}function ye(n,t){n.dispatchEvent(new CustomEvent("config-changed",{detail:{config:t},bubbles:!0,composed:!0}))}var T=n=>n?.locale?.language??n?.language??"en";var ve={card:{name:"Bobby Camera",description:"The live picture with the detected persons and the regions; admins draw the regions on it.",persons:"{count} persons",person:"1 person",no_person:"No person",edit:"Edit regions",no_entity:"Choose a Bobby Camera camera in the card's settings.",not_found:"{entity} is not a Bobby Camera camera.",loading:"Loading…",unavailable:"The picture is not available.",error:"Error: {error}"},edit:{title:"Regions of {name}",hint_view:"Click a region to select it; drag it to move it, drag its points to reshape it, click a small point on an edge to add one.",hint_drawing:"Click on the picture to add points; click the first point to close the region.",add_region:"Add region",finish:"Close region",cancel_drawing:"Cancel drawing",remove_point:"Remove point",delete_region:"Delete region",region:"Region",name:"Name",labels:"Labels (comma separated)",min_score:"Minimum score (%, empty: the camera's threshold)",detection:"Detection settings",threshold:"Threshold (%)",min_area:"Minimum box area (% of the picture)",max_area:"Maximum box area (% of the picture)",frames_needed:"Frames needed",frames_window:"Frames window",clear_after:"Clear after (s)",area_boxes:"Dashed boxes: the minimum and maximum box area, to scale.",no_regions:"No regions: the whole picture counts.",save:"Save",saving:"Saving…",cancel:"Cancel",close:"Close",unsaved:"Unsaved changes",invalid:"Fix the marked problems before saving."},ack:{applied:"Applied by {service}, version {version}",refused:"Refused by {service} (version {version}): {error}",waiting:"Sent as version {version}; waiting for the detection service to acknowledge it.",last:"Last set: {status}"},problems:{too_few_points:"{region}: a region needs at least 3 points",too_many_points:"{region}: a region has at most 64 points",point_out_of_range:"{region}: every point must be inside the picture",degenerate_polygon:"{region}: the points do not enclose an area",self_intersecting:"{region}: the outline crosses itself",invalid_name:"{region}: give the region a name with letters or digits",duplicate_name:"{region}: another region has this name",invalid_labels:"{region}: give at least one label",invalid_min_score:"{region}: the minimum score is between 0 and 100 %",invalid_threshold:"The threshold is between 0 and 100 %",invalid_area:"The minimum box area must be below the maximum",invalid_frames:"Frames needed must be between 1 and the frames window (at most 30)",invalid_clear_after:"Clear after is between 0 and 3600 seconds",too_many_regions:"At most 32 regions"},editor:{entity:"Camera (Bobby Camera live view)",title:"Title",show_boxes:"Show the detected boxes",show_regions:"Show the regions",show_events:"Show the recent visits"},visits:{title:"Recent visits",loading:"Loading the visits…",empty:"No visits yet",more:"More",loading_more:"Loading…",recording:"Recording…",no_clip:"No clip",failed:"Clip failed",play:"Play the visit of {time}",live:"Back to live",clip_error:"The clip could not be played: {error}"}};var Gt={en:ve};function Kt(n,t){let e=n;for(let i of t.split(".")){if(e===void 0||typeof e=="string")return;e=e[i]}return typeof e=="string"?e:void 0}function y(n,t,e={}){let i=(n??"en").toLowerCase();return(Kt(Gt[i],t)??Kt(Gt[i.split("-")[0]],t)??Kt(Gt.en,t)??t).replace(/\{(\w+)\}/g,(r,o)=>o in e?String(e[o]):r)}function ut(n,t,e){if(!t||e!==void 0&&(t.version??-1)<e)return e===void 0?"":y(n,"ack.waiting",{version:e});let i={service:t.service??"?",version:t.version??"?",error:t.error??""};return y(n,t.ok?"ack.applied":"ack.refused",i)}function Zt(n,t){return t<=0?y(n,"card.no_person"):t===1?y(n,"card.person"):y(n,"card.persons",{count:t})}var yi=4e3,pt=class{constructor(t,e={}){this.host=t;this.status="";this.saving=!1;this.detectionsAt=0;this.editing=e.editing??(()=>!1),this.now=e.now??Date.now,t.addController(this)}get lang(){return T(this.host.hass)}t(t,e){return y(this.lang,t,e)}hostConnected(){this.tick=setInterval(()=>this.expireDetections(),1e3),this.host.hass&&this.entity&&this.load()}hostDisconnected(){clearInterval(this.tick),this.tick=void 0,this.unsubscribe(),this.loadedFor=void 0}setEntity(t){t!==this.entity&&(this.entity=t,this.unsubscribe(),this.loadedFor=void 0,this.camera=void 0,this.pushed=void 0,this.detections=void 0,this.error=void 0,this.status="",this.host.requestUpdate())}hassChanged(){this.host.hass&&this.entity&&this.loadedFor!==this.entity&&this.load()}expireDetections(){this.detections&&this.now()-this.detectionsAt>yi&&(this.detections=void 0,this.host.requestUpdate())}get size(){return this.imageSize??this.frameSize}noteImageSize(t,e){t<=0||e<=0||(!this.imageSize||this.imageSize[0]!==t||this.imageSize[1]!==e)&&(this.imageSize=[t,e],this.host.requestUpdate())}clearStatus(){this.status="",this.host.requestUpdate()}unsubscribe(){let t=this.unsub;this.unsub=void 0,t?.then(e=>e()).catch(()=>{})}async load(){let t=this.entity,e=this.host.hass;if(!(!e||!t)){this.loadedFor=t;try{let i=await e.callWS({type:"bobby_camera/get_config",entity_id:t});if(this.loadedFor!==t)return;this.camera=Xt(i,this.pushed),this.error=void 0,!this.status&&i.last_ack&&(this.status=this.t("ack.last",{status:ut(this.lang,i.last_ack)}))}catch(i){let s=i;this.error=s.code==="not_found"?this.t("card.not_found",{entity:t}):this.t("card.error",{error:s.message??String(i)});return}finally{this.host.requestUpdate()}this.unsub||(this.unsub=e.connection.subscribeMessage(i=>this.onMessage(i),{type:"bobby_camera/subscribe_detections",entity_id:t}),this.unsub.catch(i=>{this.unsub=void 0,this.error=this.t("card.error",{error:i.message??String(i)}),this.host.requestUpdate()}))}}onMessage(t){if(t.entities&&(this.pushed=t.entities,this.camera&&(this.camera=Xt(this.camera,this.pushed))),t.detections&&(this.detections=t.detections,this.detectionsAt=this.now(),t.detections.size&&(this.frameSize=t.detections.size)),t.ack){let e=t.ack,i=this.camera!==void 0&&(e.version??-1)>this.camera.version;this.camera&&(this.camera={...this.camera,last_ack:e}),i&&!this.editing()&&!this.saving&&(this.loadedFor=void 0,this.load()),(this.sentVersion===void 0||(e.version??-1)>=this.sentVersion)&&(this.status=ut(this.lang,e,this.sentVersion))}this.host.requestUpdate()}async save(t,e){let i=this.entity,s=this.host.hass;if(!(!i||!s)){this.saving=!0,this.status=this.t("edit.saving"),this.host.requestUpdate();try{let r=await s.callWS({type:"bobby_camera/save_rois",entity_id:i,...t});this.sentVersion=r.version,this.status=ut(this.lang,r.ack,r.version),e(),this.loadedFor=void 0,await this.load()}catch(r){let o=r,l=o.translation_key?`problems.${o.translation_key}`:"",a=l&&y("en",l)!==l;this.status=a?this.t(l,o.translation_placeholders??{}):this.t("card.error",{error:o.message??String(r)})}finally{this.saving=!1,this.host.requestUpdate()}}}};var _e=G`
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
`;var gt=n=>n<0?0:n>1?1:n,A=n=>Math.round(n*1e6)/1e6;function xe(n,t,e){return e.width<=0||e.height<=0?[0,0]:[A(gt((n-e.left)/e.width)),A(gt((t-e.top)/e.height))]}function et(n,t){let e=!1;for(let i=0,s=t.length-1;i<t.length;s=i++){let[r,o]=t[i],[l,a]=t[s];o>n[1]!=a>n[1]&&n[0]<(l-r)*(n[1]-o)/(a-o)+r&&(e=!e)}return e}var q=(n,t,e)=>(t[0]-n[0])*(e[1]-n[1])-(t[1]-n[1])*(e[0]-n[0]),mt=(n,t,e)=>Math.min(n[0],t[0])-1e-12<=e[0]&&e[0]<=Math.max(n[0],t[0])+1e-12&&Math.min(n[1],t[1])-1e-12<=e[1]&&e[1]<=Math.max(n[1],t[1])+1e-12;function vi(n,t,e,i){let s=q(e,i,n),r=q(e,i,t),o=q(n,t,e),l=q(n,t,i);return(s>1e-12&&r<-1e-12||s<-1e-12&&r>1e-12)&&(o>1e-12&&l<-1e-12||o<-1e-12&&l>1e-12)?!0:Math.abs(s)<=1e-12&&mt(e,i,n)||Math.abs(r)<=1e-12&&mt(e,i,t)||Math.abs(o)<=1e-12&&mt(n,t,e)||Math.abs(l)<=1e-12&&mt(n,t,i)}function $e(n){let t=n.length;if(t<3)return"too_few_points";if(t>64)return"too_many_points";for(let[e,i]of n)if(!Number.isFinite(e)||!Number.isFinite(i)||e<0||e>1||i<0||i>1)return"point_out_of_range";for(let e=0;e<t;e++){let i=n[e],s=n[(e+1)%t];if(Math.abs(i[0]-s[0])<=1e-12&&Math.abs(i[1]-s[1])<=1e-12)return"degenerate_polygon"}if(n.slice(2).every(e=>Math.abs(q(n[0],n[1],e))<=1e-12))return"degenerate_polygon";for(let e=0;e<t;e++)for(let i=e+1;i<t;i++){let[s,r]=[n[e],n[(e+1)%t]],[o,l]=[n[i],n[(i+1)%t]];if(i===e+1||e===0&&i===t-1){let[a,u,d]=i===e+1?[r,s,l]:[s,r,o],c=(u[0]-a[0])*(d[0]-a[0])+(u[1]-a[1])*(d[1]-a[1]);if(Math.abs(q(a,u,d))<=1e-12&&c>0)return"self_intersecting";continue}if(vi(s,r,o,l))return"self_intersecting"}return null}function _i(n,t,e,i){return Math.hypot((n[0]-t[0])*e,(n[1]-t[1])*i)}function ft(n,t,e,i,s){let r=-1,o=s;return t.forEach((l,a)=>{let u=_i(n,l,e,i);u<=o&&(r=a,o=u)}),r}function bt(n){return n.map((t,e)=>{let i=n[(e+1)%n.length];return[A((t[0]+i[0])/2),A((t[1]+i[1])/2)]})}function we(n,t){for(let e=t.length-1;e>=0;e--)if(t[e].length>=3&&et(n,t[e]))return e;return-1}function Se(n,t,e){if(!n.length)return[];let i=n.map(l=>l[0]),s=n.map(l=>l[1]),r=Math.min(Math.max(t,-Math.min(...i)),1-Math.max(...i)),o=Math.min(Math.max(e,-Math.min(...s)),1-Math.max(...s));return n.map(([l,a])=>[A(gt(l+r)),A(gt(a+o))])}var Pe=n=>[(n[0]+n[2])/2,n[3]];function Ce(n){let t=Math.sqrt(Math.min(Math.max(n,0),1)),e=(1-t)/2;return[e,e,e+t,e+t]}var xt=n=>`${Math.round(Math.min(Math.max(n,0),1)*100)}%`,Me=(n,t)=>`${n} ${xt(t)}`,yt=(n,t,e=0)=>n.x<t.x+t.w+e&&t.x<n.x+n.w+e&&n.y<t.y+t.h+e&&t.y<n.y+n.h+e,xi=(n,t)=>Math.max(0,Math.min(n.x+n.w,t.x+t.w)-Math.max(n.x,t.x))*Math.max(0,Math.min(n.y+n.h,t.y+t.h)-Math.max(n.y,t.y)),vt=(n,t)=>n.measure(t)+2*n.pad,$i=(n,t)=>n.x>=-1e-9&&n.y>=-1e-9&&n.x+n.w<=t.width+1e-9&&n.y+n.h<=t.height+1e-9;function _t(n,t){return n.w>t.width||n.h>t.height?null:{...n,x:Math.min(Math.max(n.x,0),t.width-n.w),y:Math.min(Math.max(n.y,0),t.height-n.h)}}function wi(n,t,e,i){let[s,r,o,l]=n,a=o-t,u=[[s,r-e],[s,l],[s,r],[a,r-e],[a,l],[s,l-e],[a,r],[a,l-e]];for(let d=1;d<=6;d++)for(let c of[d*i,-d*i])u.push([s+c,r-e],[s+c,l],[s+c,r]);for(let d=1;d<=4;d++)for(let c of[0,i,-i,2*i,-2*i])u.push([s+c,r-e-d*(e+i/4)],[s+c,l+d*(e+i/4)]);return u}function Si(n,t,e){let i=(d,c,p,h)=>{if(c<p)return[c,p,p-c];if(h<d)return[d,h,d-h];let f=(Math.max(d,p)+Math.min(c,h))/2;return[f,f,0]},[s,r,o]=i(n.x,n.x+n.w,t.x,t.x+t.w),[l,a,u]=i(n.y,n.y+n.h,t.y,t.y+t.h);return Math.hypot(o,u)<=e?null:[s,l,r,a]}function Re(n,t,e=[]){let i=t.lineHeight,s=n.map(({box:[h,f,m,x]})=>({x:h,y:f,w:Math.max(0,m-h),h:Math.max(0,x-f)})),r=n.map(h=>({rect:null,text:h.text,mergedInto:-1,leader:null})),o=[],l=(h,f=-1)=>$i(h,t)&&!e.some(m=>yt(h,m,t.gap))&&!o.some(m=>m!==f&&r[m].rect!==null&&yt(h,r[m].rect,t.gap)),a=(h,f,m=-1)=>{let x=vt(t,f),N=null,_=1/0,R=wi(n[h].box,x,i,i);for(let E=0;E<R.length&&E<_;E++){let P=_t({x:R[E][0],y:R[E][1],w:x,h:i},t);if(!P||!l(P,m))continue;let v=s.reduce((U,V,at)=>at===h?U:U+xi(P,V),0)/(x*i),S=E+6*v;S<_&&(_=S,N=P)}return N},u=n.map((h,f)=>f).sort((h,f)=>n[f].priority-n[h].priority||h-f),d=[];for(let h of u){for(let f of[n[h].text,n[h].short]){let m=a(h,f);if(m){r[h]={...r[h],rect:m,text:f},o.push(h);break}}r[h].rect||d.push(h)}let c=h=>[s[h].x+s[h].w/2,s[h].y+s[h].h/2],p=new Map;for(let h of d){let[f,m]=c(h),N=o.filter(_=>yt(s[_],s[h],2*i)).sort((_,R)=>Math.hypot(...Ae(c(_),[f,m]))-Math.hypot(...Ae(c(R),[f,m]))||_-R);for(let _ of N){let R=[...p.get(_)??[],h],P=`${r[_].text.replace(/ \+\d+$/,"")} +${R.length}`,v=_t({...r[_].rect,w:vt(t,P)},t),S=v&&l(v,_)?v:a(_,P,_);if(S){r[_]={...r[_],rect:S,text:P},p.set(_,R),r[h]={...r[h],mergedInto:_};break}}}for(let h of o)r[h].leader=Si(r[h].rect,s[h],t.gap+1);return r}var Ae=(n,t)=>[n[0]-t[0],n[1]-t[1]],Ee=n=>Math.abs(n.reduce((t,[e,i],s)=>{let[r,o]=n[(s+1)%n.length];return t+e*o-r*i},0))/2;function ke(n,t,e=[],i="corner"){let s=t.lineHeight,r=new Array(n.length),o=[...e],l=n.map((a,u)=>u).sort((a,u)=>Ee(n[a].points)-Ee(n[u].points)||a-u);for(let a of l){let{points:u,text:d}=n[a],c=u.length||1,p=u.reduce((v,S)=>v+S[0],0)/c,h=u.reduce((v,S)=>v+S[1],0)/c,f=u.map(v=>v[0]),m=u.map(v=>v[1]),[x,N,_,R]=[Math.min(...f),Math.max(...f),Math.min(...m),Math.max(...m)],E=[d];for(let v=d.length-1;v>=3;v=Math.min(v-1,Math.floor(v*.75)))E.push(`${d.slice(0,v).trimEnd()}…`);let P;for(let v of E){let S=vt(t,v),U=[],V=12;for(let $=0;$<=V;$++)for(let w=0;w<=V;w++){let M=[x+(N-x)*$/V,_+(R-_)*w/V];U.push({c:M,inside:et(M,u),d:Math.hypot(M[0]-p,M[1]-h)})}for(let $=1;$<=8;$++)for(let w=0;w<16;w++){let M=[p+Math.cos(w*Math.PI/8)*$*s*1.5,h+Math.sin(w*Math.PI/8)*$*s];U.push({c:M,inside:!1,d:1e6+$})}let at=[{c:[p,h],inside:et([p,h],u),d:-1}];if(i==="corner"&&u.length){let $=u.reduce((M,Dt)=>Dt[0]+Dt[1]<M[0]+M[1]?Dt:M,u[0]),w=[$[0]+2*t.gap+S/2,$[1]+2*t.gap+s/2];at.unshift({c:w,inside:et(w,u),d:-2})}let ni=[...at,...U].sort(($,w)=>Number(w.inside)-Number($.inside)||$.d-w.d);for(let{c:$}of ni){let w=_t({x:$[0]-S/2,y:$[1]-s/2,w:S,h:s},t);if(w&&!o.some(M=>yt(w,M,t.gap))){P={rect:w,text:v,free:!0};break}}if(P)break}if(!P){let v=E[E.length-1],S=vt(t,v);P={rect:_t({x:p-S/2,y:h-s/2,w:S,h:s},t)??{x:0,y:0,w:S,h:s},text:v,free:!1}}o.push(P.rect),r[a]=P}return r}var Ne=[640,480],$t=13,Pi=500,Ci=18,Ie=4,Ai=2,Ei=14,Mi=8,Te=24,De=8,Ri=560,it;function Ue(n,t){return it===void 0&&(it=document.createElement("canvas").getContext("2d")),it?(it.font=`${Pi} ${$t}px ${t}`,it.measureText(n).width):n.length*$t*.62}var W=n=>n.width>0?n.size[0]/n.width:1;function nt(n,t){let[e,i]=n.size;return t.map(([s,r])=>`${s*e},${r*i}`).join(" ")}function Yt(n){let[t,e]=n.size,i=W(n);return{width:t,height:e,lineHeight:Ci*i,pad:Ie*i,gap:Ai*i,measure:s=>n.measure(s)*i}}function wt(n,t,e,i){let s=W(n);return C`<g class="chip ${t}">
      <rect x=${e.x} y=${e.y} width=${e.w} height=${e.h} rx=${3*s}></rect>
      <text x=${e.x+Ie*s} y=${e.y+e.h/2} font-size=${$t*s} dominant-baseline="central">${i}</text>
    </g>`}var St=class{place(t,e,i,s,r){let o=JSON.stringify([e,i.width,i.height,i.lineHeight,t.font,s,r]);return this.cache?.key!==o&&(this.cache={key:o,placed:ke(e,i,r?[r]:[],s)}),this.cache.placed}};function Jt(n,t,e,i){let s=t?.count_entity,r=s?e?.[s]?.state:void 0,o=r!==void 0&&r!==""&&!Number.isNaN(Number(r))?Number(r):i?.persons??0;return Zt(n,o)}function ki(n,t,e){let[i,s]=n.size,r=W(n),l=Math.max(n.measure(t),n.measure(Zt(e,88)))*Ei/$t+2*Mi;return{x:i-(De+l)*r,y:s-(De+Te)*r,w:l*r,h:Te*r}}function He(n){let{picture:t,camera:e,config:i}=n,[s,r]=t.size,o=Yt(t),l=m=>m.map(([x,N])=>[x*s,N*r]),a=e&&i.show_regions!==!1?e.rois.map(m=>{let x=m.id?e.region_entities[m.id]:void 0;return{roi:m,on:x?n.states?.[x]?.state==="on":!1}}):[],u=ki(t,Jt(n.lang,e,n.states,n.detections),n.lang),d=n.names.place(t,a.map(({roi:m})=>({points:l(m.points),text:m.name})),o,"corner",u),p=(i.show_boxes===!1?void 0:n.detections)?.objects??[],h=t.width>0&&t.width<Ri,f=Re(p.map(m=>({box:[m.box[0]*s,m.box[1]*r,m.box[2]*s,m.box[3]*r],text:h?xt(m.score):Me(m.label,m.score),short:xt(m.score),priority:m.score})),o,[...d.map(m=>m.rect),u]);return{regions:a,names:d,objects:p,scores:f,countBox:u}}function Oe(n,t){let[e,i]=n.size,s=W(n),{regions:r,names:o,objects:l,scores:a}=t,u=d=>C`<g class="fills ${d?"on":"off"}">${r.filter(c=>c.on===d).map(({roi:c})=>C`<polygon points=${nt(n,c.points)}></polygon>`)}</g>`;return[u(!1),u(!0),...r.map(({roi:d,on:c})=>C`<g class="region ${c?"on":""}" data-id=${d.id??""}><polygon points=${nt(n,d.points)}></polygon></g>`),...l.map(d=>{let[c,p,h,f]=d.box,[m,x]=Pe(d.box);return C`<g class="box">
          <rect x=${c*e} y=${p*i} width=${(h-c)*e} height=${(f-p)*i}></rect>
          <circle class="foot" cx=${m*e} cy=${x*i} r=${4*s}></circle>
        </g>`}),...a.flatMap(d=>d.leader?[C`<line class="leader" x1=${d.leader[0]} y1=${d.leader[1]} x2=${d.leader[2]} y2=${d.leader[3]}></line>`]:[]),...r.map(({on:d},c)=>wt(n,`name ${d?"on":""}`,o[c].rect,o[c].text)),...a.flatMap(d=>d.rect?[wt(n,"score",d.rect,d.text)]:[])]}function ze(n,t,e){let i=t?n?.states[t]:void 0;if(!n||!i||i.state==="unavailable")return;let s=i.attributes.access_token;return e?i.attributes.entity_picture?n.hassUrl(i.attributes.entity_picture):void 0:s?n.hassUrl(`/api/camera_proxy_stream/${t}?token=${encodeURIComponent(s)}`):void 0}var Ti=30,Di=3600,At=32,Fe={labels:["person"],threshold:.5,min_area:0,max_area:1,frames_needed:2,frames_window:3,clear_after:10},je={show_boxes:!0,show_regions:!0,show_events:!0};function Et(n){return{...je,...n}}function qe(n,t){let e={...n,type:t};for(let[i,s]of Object.entries(je))e[i]===s&&delete e[i];return e}function Qt(n){return n.normalize("NFKD").replace(/[\u0300-\u036f]/g,"").toLowerCase().replace(/[^a-z0-9]+/g,"_").replace(/^_+|_+$/g,"").slice(0,32).replace(/_+$/g,"")}var Pt=n=>typeof n=="number"&&Number.isFinite(n)&&n>=0&&n<=1,Ct=class{constructor(t=[],e={}){this.selected=-1;this.selectedPoint=-1;this.drawing=null;this.dirty=!1;this.drag=null;this.regions=t.map(i=>({...i,points:i.points.map(s=>[s[0],s[1]]),labels:[...i.labels?.length?i.labels:["person"]]})),this.detection={...Fe,...e,labels:[...e.labels??Fe.labels]},this.originalNames=new Map}get dragging(){return this.drag!==null}newName(t="Region"){let e=new Set(this.regions.map(s=>Qt(s.name))),i=this.regions.length+1;for(;e.has(Qt(`${t} ${i}`));)i++;return`${t} ${i}`}startDrawing(){this.drawing=[],this.selected=-1,this.selectedPoint=-1}cancelDrawing(){this.drawing=null}closeDrawing(t){return!this.drawing||this.drawing.length<3?-1:(this.regions.push({name:t??this.newName(),points:this.drawing,labels:["person"]}),this.drawing=null,this.dirty=!0,this.selected=this.regions.length-1,this.selectedPoint=-1,this.selected)}select(t){this.selected=t>=0&&t<this.regions.length?t:-1,this.selectedPoint=-1}movePoint(t,e,i){let s=this.regions[t];!s||e<0||e>=s.points.length||(s.points[e]=[A(i[0]),A(i[1])],this.dirty=!0)}insertPoint(t,e,i){let s=this.regions[t];return!s||s.points.length>=64?-1:(s.points.splice(e+1,0,[A(i[0]),A(i[1])]),this.dirty=!0,e+1)}removePoint(t,e){let i=this.regions[t];!i||e<0||e>=i.points.length||(i.points.splice(e,1),this.selected===t&&(this.selectedPoint=-1),this.dirty=!0)}moveRegion(t,e,i,s){let r=this.regions[t];r&&(r.points=Se(e,i,s),this.dirty=!0)}rename(t,e){let i=this.regions[t];i&&(i.id!==void 0&&!this.originalNames.has(t)&&this.originalNames.set(t,i.name),i.name=e,this.dirty=!0)}deleteRegion(t){if(t<0||t>=this.regions.length)return;this.regions.splice(t,1);let e=[...this.originalNames.entries()];this.originalNames.clear();for(let[i,s]of e)i!==t&&this.originalNames.set(i>t?i-1:i,s);this.selected=-1,this.selectedPoint=-1,this.dirty=!0}setLabels(t,e){let i=this.regions[t];i&&(i.labels=[...new Set(e.map(s=>s.trim()).filter(Boolean))],this.dirty=!0)}setMinScore(t,e){let i=this.regions[t];i&&(e===null?delete i.min_score:i.min_score=e,this.dirty=!0)}setDetection(t,e){this.detection={...this.detection,[t]:e},this.dirty=!0}pointerDown(t,e,i,s){if(this.drawing)return this.drawing.length>=3&&ft(t,[this.drawing[0]],e,i,s)===0?(this.closeDrawing(),"closed"):this.drawing.length>=64?"none":(this.drawing.push([A(t[0]),A(t[1])]),"added");let r=this.regions[this.selected];if(r){let a=ft(t,r.points,e,i,s);if(a>=0)return this.selectedPoint=a,this.drag={kind:"point",region:this.selected,index:a},"drag-point";let u=ft(t,bt(r.points),e,i,s);if(u>=0){let d=this.insertPoint(this.selected,u,t);if(d>=0)return this.selectedPoint=d,this.drag={kind:"point",region:this.selected,index:d},"inserted"}}let o=we(t,this.regions.map(a=>a.points));if(o>=0)return o!==this.selected?this.select(o):this.selectedPoint=-1,this.drag={kind:"region",region:o,start:t,original:this.regions[o].points.map(a=>[a[0],a[1]])},"drag-region";let l=this.selected>=0;return this.select(-1),l?"deselected":"none"}pointerMove(t){let e=this.drag;return e?(e.kind==="point"?this.movePoint(e.region,e.index,t):this.moveRegion(e.region,e.original,t[0]-e.start[0],t[1]-e.start[1]),!0):!1}pointerUp(){this.drag=null}regionProblems(){let t=this.regions.map((e,i)=>this.payloadId(e,i)??Qt(e.name));return this.regions.map((e,i)=>{let s=$e(e.points);return s||(t[i]?t.indexOf(t[i])!==i?"duplicate_name":e.labels.length?e.min_score!=null&&!Pt(e.min_score)?"invalid_min_score":null:"invalid_labels":"invalid_name")})}detectionProblem(){let t=this.detection;return t.labels.length?Pt(t.threshold)?!Pt(t.min_area)||!Pt(t.max_area)||t.min_area>=t.max_area?"invalid_area":!(Number.isInteger(t.frames_needed)&&Number.isInteger(t.frames_window))||t.frames_needed<1||t.frames_needed>t.frames_window||t.frames_window>Ti?"invalid_frames":!Number.isFinite(t.clear_after)||t.clear_after<0||t.clear_after>Di?"invalid_clear_after":null:"invalid_threshold":"invalid_labels"}get valid(){return!this.drawing&&this.detectionProblem()===null&&this.regionProblems().every(t=>t===null)}payloadId(t,e){if(t.id===void 0)return;let i=this.originalNames.get(e);return i===void 0||i===t.name?t.id:void 0}payload(){return{rois:this.regions.map((t,e)=>{let i={name:t.name.trim(),points:t.points.map(r=>[r[0],r[1]]),labels:[...t.labels]},s=this.payloadId(t,e);return s!==void 0&&(i.id=s),t.min_score!=null&&(i.min_score=t.min_score),i}),detection:{...this.detection,labels:[...this.detection.labels]}}}};var Ni=11,Ii=22,We=n=>n.target.value;function Be(n){let t=n.trim();return t===""?null:Number(t)}var Mt=n=>n==null||Number.isNaN(n)?"":String(Math.round(n*1e4)/100);function Ui(n,t=1){let e=Be(n);return e===null?NaN:Math.round(e*t*1e4)/1e4}function Hi(n){let t=Be(n);return t===null?null:Math.round(t*100)/1e4}function Oi(n,t){let e=t.regionProblems(),i=t.detectionProblem();return[...e.flatMap((s,r)=>s?[y(n,`problems.${s}`,{region:t.regions[r].name||"?"})]:[]),...i?[y(n,`problems.${i}`)]:[],...t.regions.length>At?[y(n,"problems.too_many_regions")]:[]]}var Rt=class{constructor(t,e){this.host=t;this.data=e;this.start=()=>{let t=this.data.camera;t&&(this.state=new Ct(t.rois,t.detection),this.data.clearStatus(),this.host.requestUpdate())};this.stop=()=>{this.state=void 0,this.host.requestUpdate()};this.save=async()=>{let t=this.state;!t||!t.valid||await this.data.save(t.payload(),this.stop)};this.onPointerDown=t=>{let e=this.state;if(!this.editing||!e||t.button>0)return;t.preventDefault();let{p:i,w:s,h:r}=this.point(t);e.pointerDown(i,s,r,t.pointerType==="touch"?Ii:Ni),e.dragging&&t.currentTarget.setPointerCapture?.(t.pointerId),this.host.requestUpdate()};this.onPointerMove=t=>{let e=this.state;e?.dragging&&(t.preventDefault(),e.pointerMove(this.point(t).p)&&this.host.requestUpdate())};this.onPointerUp=t=>{let e=this.state;e?.dragging&&(e.pointerUp(),t.currentTarget.releasePointerCapture?.(t.pointerId),this.host.requestUpdate())};this.onContextMenu=t=>{let e=this.state;!this.editing||!e||(t.preventDefault(),e.selectedPoint>=0&&(e.removePoint(e.selected,e.selectedPoint),e.pointerUp(),this.host.requestUpdate()))}}get editing(){return this.state!==void 0}get lang(){return T(this.host.hass)}t(t,e){return y(this.lang,t,e)}act(t){this.state&&(t(this.state),this.host.requestUpdate())}setDetection(t,e,i=1){let s=Ui(We(t),i);this.act(r=>r.setDetection(e,s))}point(t){let e=t.currentTarget.getBoundingClientRect();return{p:xe(t.clientX,t.clientY,e),w:e.width,h:e.height}}layer(t,e){let i=this.state;if(!i)return[];let[s,r]=t.size,o=W(t),l=i.regionProblems(),a=[];for(let[c,p]of[["min-area",i.detection.min_area],["max-area",i.detection.max_area]])if(p>0&&p<1){let[h,f,m,x]=Ce(p);a.push(C`<rect class="area ${c}" x=${h*s} y=${f*r} width=${(m-h)*s} height=${(x-f)*r}></rect>`)}i.regions.forEach((c,p)=>{let h=p===i.selected;a.push(C`<g class="region edit ${h?"selected":""} ${l[p]?"invalid":""}" data-index=${p}>
        <polygon points=${nt(t,c.points)}></polygon>
      </g>`)});let u=e.place(t,i.regions.map(c=>({points:c.points.map(([p,h])=>[p*s,h*r]),text:c.name})),Yt(t),"centre");i.regions.forEach((c,p)=>{c.name&&a.push(wt(t,`name ${p===i.selected?"selected":""} ${l[p]?"invalid":""}`,u[p].rect,u[p].text))});let d=i.regions[i.selected];return d&&!i.drawing&&(bt(d.points).forEach(([c,p])=>a.push(C`<circle class="mid" cx=${c*s} cy=${p*r} r=${5*o}></circle>`)),d.points.forEach(([c,p],h)=>a.push(C`<circle class="vertex ${h===i.selectedPoint?"current":""}" cx=${c*s} cy=${p*r} r=${7*o}></circle>`))),i.drawing&&(a.push(C`<polyline class="drawing" points=${nt(t,i.drawing)}></polyline>`),i.drawing.forEach(([c,p],h)=>a.push(C`<circle class="vertex ${h===0&&i.drawing.length>=3?"first":""}" cx=${c*s} cy=${p*r} r=${(h===0?9:6)*o}></circle>`))),a}panel(){let t=this.state;if(!t)return g``;let e=t.regions[t.selected],i=Oi(this.lang,t),s=t.detection;return g`<div class="edit">
      <div class="hint">${this.t(t.drawing?"edit.hint_drawing":"edit.hint_view")}</div>
      <div class="toolbar">
        ${t.drawing?g`<button class="finish" ?disabled=${t.drawing.length<3} @click=${()=>this.act(r=>r.closeDrawing())}>${this.t("edit.finish")}</button>
              <button @click=${()=>this.act(r=>r.cancelDrawing())}>${this.t("edit.cancel_drawing")}</button>`:g`<button class="add" ?disabled=${t.regions.length>=At} @click=${()=>this.act(r=>r.startDrawing())}>${this.t("edit.add_region")}</button>`}
        ${e&&!t.drawing?g`<button class="remove-point" ?disabled=${t.selectedPoint<0} @click=${()=>this.act(r=>r.removePoint(r.selected,r.selectedPoint))}>
                ${this.t("edit.remove_point")}
              </button>
              <button class="delete" @click=${()=>this.act(r=>r.deleteRegion(r.selected))}>${this.t("edit.delete_region")}</button>`:b}
      </div>
      ${e&&!t.drawing?g`<fieldset class="region-form">
            <legend>${this.t("edit.region")}</legend>
            <label>${this.t("edit.name")}<input class="name" .value=${e.name} @input=${r=>this.act(o=>o.rename(o.selected,r.target.value))} /></label>
            <label>${this.t("edit.labels")}<input class="labels" .value=${e.labels.join(", ")} @change=${r=>this.act(o=>o.setLabels(o.selected,r.target.value.split(",")))} /></label>
            <label>${this.t("edit.min_score")}<input class="min-score" type="number" min="0" max="100" step="1" .value=${Mt(e.min_score)}
              @change=${r=>this.act(o=>o.setMinScore(o.selected,Hi(We(r))))} /></label>
          </fieldset>`:g`<div class="regions-summary">${t.regions.length?t.regions.map(r=>r.name).join(", "):this.t("edit.no_regions")}</div>`}
      <details class="detection">
        <summary>${this.t("edit.detection")}</summary>
        <div class="grid">
          <label>${this.t("edit.threshold")}<input class="threshold" type="number" min="1" max="100" step="1" .value=${Mt(s.threshold)} @change=${r=>this.setDetection(r,"threshold",.01)} /></label>
          <label>${this.t("edit.min_area")}<input class="min-area" type="number" min="0" max="100" step="0.1" .value=${Mt(s.min_area)} @input=${r=>this.setDetection(r,"min_area",.01)} /></label>
          <label>${this.t("edit.max_area")}<input class="max-area" type="number" min="0.1" max="100" step="0.1" .value=${Mt(s.max_area)} @input=${r=>this.setDetection(r,"max_area",.01)} /></label>
          <label>${this.t("edit.frames_needed")}<input class="frames-needed" type="number" min="1" max="30" step="1" .value=${String(s.frames_needed)} @change=${r=>this.setDetection(r,"frames_needed")} /></label>
          <label>${this.t("edit.frames_window")}<input class="frames-window" type="number" min="1" max="30" step="1" .value=${String(s.frames_window)} @change=${r=>this.setDetection(r,"frames_window")} /></label>
          <label>${this.t("edit.clear_after")}<input class="clear-after" type="number" min="0" max="3600" step="0.5" .value=${String(s.clear_after)} @change=${r=>this.setDetection(r,"clear_after")} /></label>
        </div>
        <div class="hint">${this.t("edit.area_boxes")}</div>
      </details>
      ${i.length?g`<ul class="problems">${i.map(r=>g`<li>${r}</li>`)}</ul>`:b}
      <div class="footer">
        <span class="status" role="status">${this.data.status||(t.dirty?this.t("edit.unsaved"):"")}</span>
        <button @click=${this.stop}>${this.t("edit.cancel")}</button>
        <button class="primary save" ?disabled=${!t.valid||t.regions.length>At||this.data.saving} @click=${this.save}>${this.t(this.data.saving?"edit.saving":"edit.save")}</button>
      </div>
    </div>`}};function Ge(n){let t=n?.locale,e=t?.language??n?.language??"en",i;t?.time_format==="12"?i=!0:t?.time_format==="24"?i=!1:t?.time_format==="system"&&(i=new Intl.DateTimeFormat(void 0,{hour:"numeric"}).resolvedOptions().hour12);let s=t?.time_zone==="server"?n?.config?.time_zone:void 0;return{language:e,hour12:i,timeZone:s}}function B(n,t,e){try{let i=n.hour12===!1?{hourCycle:"h23"}:{hour12:n.hour12};return new Intl.DateTimeFormat(n.language,{...t,...i,timeZone:n.timeZone}).format(e)}catch{return new Intl.DateTimeFormat(void 0,t).format(e)}}function Xe(n,t){let e;try{e=new Intl.DateTimeFormat("en-CA",{timeZone:n.timeZone,year:"numeric",month:"2-digit",day:"2-digit"}).format(t)}catch{e=new Intl.DateTimeFormat("en-CA",{year:"numeric",month:"2-digit",day:"2-digit"}).format(t)}let[i,s,r]=e.split("-").map(Number);return Math.round(Date.UTC(i,s-1,r)/864e5)}function zi(n,t,e){let i=new Date(n*1e3),s=B(e,{dateStyle:"full",timeStyle:"medium"},i),r=Math.max(0,t-i.getTime()),o={hour:"numeric",minute:"2-digit"},l;if(r<36e5){let a;try{a=new Intl.RelativeTimeFormat(e.language,{numeric:"auto",style:"short"})}catch{a=new Intl.RelativeTimeFormat(void 0,{numeric:"auto",style:"short"})}l=r<45e3?a.format(0,"second"):a.format(-Math.max(1,Math.round(r/6e4)),"minute")}else{let a=Xe(e,new Date(t))-Xe(e,i);if(a<=0)l=B(e,o,i);else if(a<7)l=B(e,{weekday:"short",...o},i);else{let u=B(e,{year:"numeric"},i)===B(e,{year:"numeric"},new Date(t));l=B(e,{day:"numeric",month:"short",...u?{}:{year:"numeric"},...o},i)}}return{text:l,title:s}}function Li(n){let t=Math.max(0,Math.round(n)),[e,i,s]=[Math.floor(t/3600),Math.floor(t%3600/60),t%60],r=o=>String(o).padStart(2,"0");return e?`${e}:${r(i)}:${r(s)}`:`${i}:${r(s)}`}function Ke(n){let t=(r,o)=>y(n.style.language,r,o),e=new Map(n.rois.map(r=>[r.id??"",r.name])),i=n.visits.map(r=>{let o=zi(r.start,n.now,n.style),l=r.clip==="ready"&&r.clip_url!==null,a=r.clip==="ready"?r.duration!==null?Li(r.duration):"":t(r.clip==="recording"?"visits.recording":r.clip==="failed"?"visits.failed":"visits.no_clip"),u=r.regions.map(d=>e.get(d)??d).join(", ");return{id:r.id,thumb:r.snapshot_url?n.url(r.snapshot_url):void 0,time:o.text,title:o.title,regions:u,clip:r.clip,badge:a,playable:l,label:[l?t("visits.play",{time:o.title}):o.title,u,a].filter(Boolean).join(", "),active:n.playing===r.id}});return{state:i.length?"list":n.error?"error":n.loaded?"empty":"loading",error:n.error,items:i,more:n.more&&i.length>0,loadingMore:n.loadingMore}}function Ze(n,t,e){let i=o=>y(t,o),s=(o,l)=>g`<div class="visits-message ${o}">${l}</div>`,r;return n.state==="loading"?r=s("loading",i("visits.loading")):n.state==="empty"?r=s("empty",i("visits.empty")):n.state==="error"?r=s("error",n.error??""):r=g`<ol class="visit-list">
      ${n.items.map(o=>g`<li>
          <button
            class="visit ${o.clip} ${o.active?"active":""}"
            data-id=${o.id}
            ?disabled=${!o.playable}
            aria-label=${o.label}
            title=${o.label}
            @click=${()=>e.play(o.id)}
          >
            <span class="thumb">
              ${o.thumb?g`<img src=${o.thumb} alt="" loading="lazy" @error=${e.thumbnailFailed} />`:b}
              ${o.badge?g`<span class="badge">${o.badge}</span>`:b}
              ${o.playable?g`<span class="play" aria-hidden="true"></span>`:b}
            </span>
            <span class="when">${o.time}</span>
            ${o.regions?g`<span class="where">${o.regions}</span>`:b}
          </button>
        </li>`)}
      ${n.more?g`<li>
            <button class="more" ?disabled=${n.loadingMore} @click=${e.more}>${i(n.loadingMore?"visits.loading_more":"visits.more")}</button>
          </li>`:b}
    </ol>`,g`<section class="visits" aria-label=${i("visits.title")}>
    ${n.state==="list"&&n.error?s("error",n.error):b} ${r}
  </section>`}function Ye(n,t,e,i){let s=(o,l)=>y(t,o,l),r=o=>{let l=o.target.error;i(l?.message||`code ${l?.code??"?"}`)};return g`${n.url?g`<video class="clip" src=${n.url} controls playsinline autoplay muted preload="auto" @error=${r}></video>`:g`<div class="unavailable">${s("card.loading")}</div>`}
    <button class="back" @click=${e}>${s("visits.live")}</button>
    ${n.error?g`<div class="clip-error" role="alert">${n.error}</div>`:b}`}var Je=12,Qe=6e4,Vi=15e3,ti=200,Fi=["recording","ready","none","failed"],ji=50,qi=6e4,Wi=32,st=n=>typeof n=="number"&&Number.isFinite(n);function ei(n){return typeof n=="string"&&n.length<=4096&&n.startsWith("/")&&!n.startsWith("//")&&!n.includes("\\")?n:null}function Bi(n){if(!n||typeof n!="object")return null;let t=n;if(typeof t.id!="string"||!t.id||t.id.length>64||!st(t.start))return null;let e=Fi.includes(t.clip)?t.clip:"none",i=Array.isArray(t.regions)?t.regions.filter(r=>typeof r=="string").slice(0,Wi):[],s=ei(t.clip_url);return{id:t.id,camera:typeof t.camera=="string"?t.camera:"",start:t.start,end:st(t.end)?t.end:null,regions:i,max_persons:st(t.max_persons)&&t.max_persons>=0?Math.round(t.max_persons):0,score:st(t.score)?t.score:null,clip:e==="ready"&&!s?"recording":e,duration:st(t.duration)&&t.duration>=0?t.duration:null,snapshot_url:ei(t.snapshot_url),clip_url:e==="ready"?s:null}}function Xi(n){let t=n&&typeof n=="object"?n:{};if(!Array.isArray(t.events))return{events:[],more:!1,refused:1};let e=t.events.slice(0,ji).map(Bi).filter(i=>i!==null);return{events:e,more:t.more===!0,refused:t.events.length-e.length}}var Gi=(n,t)=>t.start-n.start||(n.id<t.id?1:n.id>t.id?-1:0);function ii(n,t,e,i){let s,r;if(i==="older"){let l=new Set(e.events.map(a=>a.id));s=[...n.filter(a=>!l.has(a.id)),...e.events],r=e.more}else if(!e.more||e.events.length===0)s=[...e.events],r=e.more;else{let l=Math.min(...e.events.map(c=>c.start)),a=new Set(e.events.map(c=>c.id)),d=n.some(c=>c.start>=l)?n.filter(c=>c.start<l&&!a.has(c.id)):[];s=[...e.events,...d],r=d.length>0?t:!0}let o=new Set;return s=s.filter(l=>o.has(l.id)?!1:(o.add(l.id),!0)).sort(Gi),s.length>ti&&(s=s.slice(0,ti),r=!1),{visits:s,more:r}}function Ki(n,t){let e=n?.entities,i=t?e?.[t]?.device_id:void 0;if(!e||!i)return;let s=Object.values(e).filter(r=>!!r&&r.device_id===i&&r.entity_id.startsWith("event.")&&r.platform==="mqtt");return(s.find(r=>r.entity_id.endsWith("_visit"))??s[0])?.entity_id}var kt=class{constructor(t,e={}){this.host=t;this.visits=[];this.more=!1;this.loaded=!1;this.loading=!1;this.loadingMore=!1;this.refused=0;this.warnedAt=-1/0;this.enabled=!0;this.readAt=-1/0;this.busy=!1;this.again=!1;this.generation=0;this.now=e.now??Date.now,t.addController(this)}t(t,e){return y(T(this.host.hass),t,e)}get eventEntity(){return this.entity}hostConnected(){this.tickTimer=setInterval(()=>this.tick(),Vi),this.hassChanged()}hostDisconnected(){clearInterval(this.tickTimer),this.tickTimer=void 0}setCamera(t,e){this.cameraEntity=e,t!==this.camera&&(this.camera=t,this.generation++,this.visits=[],this.more=!1,this.loaded=!1,this.loading=!1,this.loadingMore=!1,this.busy=!1,this.again=!1,this.error=void 0,this.playing=void 0,this.entity=void 0,this.entityState=void 0,this.entitiesSeen=void 0,this.readAt=-1/0,this.hassChanged(),this.host.requestUpdate())}setEnabled(t){t!==this.enabled&&(this.enabled=t,t?this.hassChanged():this.playing=void 0,this.host.requestUpdate())}hassChanged(){let t=this.host.hass;if(!t||!this.camera||!this.enabled)return;(t.entities!==this.entitiesSeen||!this.entity)&&(this.entitiesSeen=t.entities,this.entity=Ki(t,this.cameraEntity));let e=this.entity?t.states[this.entity]?.state:void 0,i=e!==this.entityState;this.entityState=e,!this.loaded&&!this.busy&&!this.error?this.refresh():i&&this.loaded&&this.refresh()}tick(){if(!this.enabled||!this.camera)return;let t=this.visits.some(i=>i.clip==="recording"||i.end===null);this.now()-this.readAt>=Qe&&(!this.entity||t||this.error!==void 0)?this.refresh():this.host.requestUpdate()}thumbnailFailed(){this.now()-this.readAt>=Qe&&this.refresh()}async read(t){let e=this.host.hass;if(!e)throw new Error("no connection");let i=Xi(await e.callWS({type:"bobby_camera/events",camera:this.camera,...t}));return i.refused>0&&(this.refused+=i.refused,this.now()-this.warnedAt>=qi&&(this.warnedAt=this.now(),console.warn(`Bobby Camera card: left out ${this.refused} visit(s) of bobby_camera/events that were not valid so far`))),i}failed(t){let e=t;return this.t("card.error",{error:e?.message??e?.code??String(t)})}async refresh(){if(!this.host.hass||!this.camera||!this.enabled)return;if(this.busy){this.again=!0;return}let t=this.generation;this.busy=!0,this.loading=!this.loaded,this.readAt=this.now(),this.host.requestUpdate();try{let e=await this.read({limit:Je});if(t!==this.generation)return;({visits:this.visits,more:this.more}=ii(this.visits,this.more,e,"newest")),this.loaded=!0,this.error=void 0}catch(e){if(t!==this.generation)return;this.error=this.failed(e)}finally{t===this.generation&&(this.busy=!1,this.loading=!1,this.host.requestUpdate(),this.again&&(this.again=!1,this.refresh()))}}async loadMore(){if(!this.host.hass||!this.camera||this.loadingMore||!this.more||!this.visits.length)return;let t=this.generation,e=this.visits[this.visits.length-1].start;this.loadingMore=!0,this.host.requestUpdate();try{let i=await this.read({limit:Je,before:e});if(t!==this.generation)return;({visits:this.visits,more:this.more}=ii(this.visits,this.more,i,"older")),this.error=void 0}catch(i){t===this.generation&&(this.error=this.failed(i))}finally{t===this.generation&&(this.loadingMore=!1,this.host.requestUpdate())}}async play(t){let e=this.host.hass,i=this.visits.find(o=>o.id===t);if(!e||!i||i.clip!=="ready"||!i.clip_url)return;let s=this.generation;this.playing={visit:i},this.host.requestUpdate();let r=i.clip_url;try{let l=(await this.read({limit:1,before:i.start+.001})).events.find(a=>a.id===t);l?.clip_url&&(r=l.clip_url)}catch{}s!==this.generation||this.playing?.visit.id!==t||(this.playing={visit:i,url:e.hassUrl(r)},this.host.requestUpdate())}playFailed(t){this.playing&&(this.playing={...this.playing,error:this.t("visits.clip_error",{error:t})},this.host.requestUpdate())}stop(){this.playing&&(this.playing=void 0,this.host.requestUpdate())}};var Zi=[{name:"entity",required:!0,selector:{entity:{domain:"camera",integration:"bobby_camera"}}},{name:"title",selector:{text:{}}},{name:"show_boxes",selector:{boolean:{}}},{name:"show_regions",selector:{boolean:{}}},{name:"show_events",selector:{boolean:{}}}],rt=class extends k{constructor(){super(...arguments);this._label=e=>y(T(this.hass),`editor.${e.name}`)}setConfig(e){this._config=e}_changed(e){e.stopPropagation();let i=qe(e.detail.value,this._config?.type??"custom:bobby-camera-card");ye(this,i)}render(){return!this.hass||!this._config?g``:g`<ha-form
      .hass=${this.hass}
      .data=${Et(this._config)}
      .schema=${Zi}
      .computeLabel=${this._label}
      @value-changed=${this._changed}
    ></ha-form>`}};rt.properties={hass:{attribute:!1},_config:{state:!0}},rt.styles=G`
    :host {
      display: block;
    }
  `;customElements.get("bobby-camera-card-editor")||customElements.define("bobby-camera-card-editor",rt);var Tt="bobby-camera-card",ot=class extends k{constructor(){super(...arguments);this._width=0;this._imageFailed=!1;this._font="";this._data=new pt(this,{editing:()=>this._editor.editing});this._editor=new Rt(this,this._data);this._names=new St;this._visits=new kt(this)}static getConfigElement(){return document.createElement("bobby-camera-card-editor")}static getStubConfig(e){let i=Object.values(e.entities??{}).find(r=>r?.platform==="bobby_camera"&&r.entity_id.startsWith("camera.")),s=Object.keys(e.states).find(r=>r.startsWith("camera."));return{type:`custom:${Tt}`,entity:i?.entity_id??s??""}}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");if(e.entity!==void 0&&(typeof e.entity!="string"||e.entity&&!e.entity.startsWith("camera.")))throw new Error("entity must be a camera entity (camera.…)");let i=e.entity!==this._config?.entity;this._config=Et(e),this._visits.setEnabled(this._config.show_events!==!1),i&&(this._data.setEntity(e.entity),this._editor.stop())}getCardSize(){return this._editor.editing?12:this._config?.show_events===!1?6:8}getGridOptions(){return{columns:12,min_columns:6,rows:"auto"}}get _lang(){return T(this.hass)}_t(e,i){return y(this._lang,e,i)}disconnectedCallback(){super.disconnectedCallback(),this._resize?.disconnect(),this._resize=void 0}firstUpdated(){this._observe()}updated(e){e.has("hass")&&this._data.hassChanged(),this._visits.setCamera(this._data.camera?.camera_id,this._data.camera?.camera_entity),e.has("hass")&&this._visits.hassChanged(),this._editor.editing&&this._visits.stop(),this._observe();let i=this.renderRoot.querySelector(".picture img");i&&this._data.noteImageSize(i.naturalWidth,i.naturalHeight)}_observe(){let e=this.renderRoot.querySelector(".picture");!e||this._resize||(this._resize=new ResizeObserver(i=>{this._width=i[0]?.contentRect.width??0}),this._resize.observe(e))}get _picSize(){return this._data.size??this._data.camera?.resolution??Ne}_onImageLoad(e){let i=e.target;this._data.noteImageSize(i.naturalWidth,i.naturalHeight)}get _picture(){if(!this._font){let i=this.renderRoot?.querySelector("svg");i&&(this._font=getComputedStyle(i).fontFamily||"sans-serif")}let e=this._font||this.isConnected&&getComputedStyle(this).fontFamily||"sans-serif";return{size:this._picSize,width:this._width,font:e,measure:i=>Ue(i,e)}}_overlayView(){let e=this._picture,i=He({picture:e,config:this._config??{},camera:this._data.camera,states:this.hass?.states,detections:this._data.detections,lang:this._lang,names:this._names});return Oe(e,i)}render(){if(!this._config)return g``;let e=this._config.title??this._data.camera?.name;if(!this._config.entity)return g`<ha-card .header=${e}><div class="message">${this._t("card.no_entity")}</div></ha-card>`;let[i,s]=this._picSize,r=this._editor.editing?void 0:this._visits.playing,o=r?void 0:ze(this.hass,this._data.camera?.camera_entity??this._config?.entity,this._imageFailed),l=this.hass?.user?.is_admin===!0;return g`<ha-card .header=${e}>
      ${this._data.error?g`<div class="message error">${this._data.error}</div>`:b}
      <div class="picture" style="aspect-ratio: ${i} / ${s}">
        ${o?g`<img src=${o} alt="" @load=${this._onImageLoad} @error=${()=>this._imageFailed=!0} />`:g`<div class="unavailable">${this._t(this._data.camera?"card.unavailable":"card.loading")}</div>`}
        <svg
          class=${this._editor.editing?"editing":""}
          viewBox="0 0 ${i} ${s}"
          preserveAspectRatio="none"
          @pointerdown=${this._editor.onPointerDown}
          @pointermove=${this._editor.onPointerMove}
          @pointerup=${this._editor.onPointerUp}
          @pointercancel=${this._editor.onPointerUp}
          @contextmenu=${this._editor.onContextMenu}
        >
          ${this._editor.editing?this._editor.layer(this._picture,this._names):this._overlayView()}
        </svg>
        ${this._editor.editing?b:g`<div class="count">${this._countText()}</div>`}
        ${r?g`<div class="clip-layer">
              ${Ye(r,this._lang,()=>this._visits.stop(),a=>this._visits.playFailed(a))}
            </div>`:b}
      </div>
      ${this._editor.editing||this._config.show_events===!1?b:this._strip()}
      ${this._editor.editing?this._editor.panel():this._footer(l)}
    </ha-card>`}_countText(){return Jt(this._lang,this._data.camera,this.hass?.states,this._data.detections)}_strip(){let e=this._visits,i=Ke({visits:e.visits,more:e.more,loaded:e.loaded,loadingMore:e.loadingMore,error:e.error,rois:this._data.camera?.rois??[],now:Date.now(),style:Ge(this.hass),url:s=>this.hass?.hassUrl(s)??s,playing:e.playing?.visit.id});return Ze(i,this._lang,{play:s=>void e.play(s),more:()=>void e.loadMore(),thumbnailFailed:()=>e.thumbnailFailed()})}_footer(e){return g`<div class="footer">
      <span class="status" role="status">${this._data.status}</span>
      ${e&&this._data.camera?g`<button class="primary" @click=${this._editor.start}>${this._t("card.edit")}</button>`:b}
    </div>`}};ot.properties={hass:{attribute:!1},_config:{state:!0},_width:{state:!0},_imageFailed:{state:!0}},ot.styles=_e;if(!customElements.get(Tt)){customElements.define(Tt,ot);let n=window;n.customCards=n.customCards??[],n.customCards.push({type:Tt,name:y(navigator.language,"card.name"),description:y(navigator.language,"card.description"),preview:!0,documentationURL:"https://github.com/bobby-camera/bobby-camera/blob/main/docs/home-assistant.md#the-dashboard-card"})}export{ot as BobbyCameraCard};
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
