// Bobby Camera card: built from frontend/ by `make frontend`; do not edit.
var oe=globalThis,ae=oe.ShadowRoot&&(oe.ShadyCSS===void 0||oe.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,Re=Symbol(),Ye=new WeakMap,W=class{constructor(e,t,i){if(this._$cssResult$=!0,i!==Re)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(ae&&e===void 0){let i=t!==void 0&&t.length===1;i&&(e=Ye.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),i&&Ye.set(t,e))}return e}toString(){return this.cssText}},Je=n=>new W(typeof n=="string"?n:n+"",void 0,Re),X=(n,...e)=>{let t=n.length===1?n[0]:e.reduce((i,s,r)=>i+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(s)+n[r+1],n[0]);return new W(t,n,Re)},Ze=(n,e)=>{if(ae)n.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let i=document.createElement("style"),s=oe.litNonce;s!==void 0&&i.setAttribute("nonce",s),i.textContent=t.cssText,n.appendChild(i)}},ke=ae?n=>n:n=>n instanceof CSSStyleSheet?(e=>{let t="";for(let i of e.cssRules)t+=i.cssText;return Je(t)})(n):n;var{is:Ft,defineProperty:Vt,getOwnPropertyDescriptor:qt,getOwnPropertyNames:Bt,getOwnPropertySymbols:Wt,getPrototypeOf:Xt}=Object,ce=globalThis,Qe=ce.trustedTypes,Gt=Qe?Qe.emptyScript:"",Kt=ce.reactiveElementPolyfillSupport,G=(n,e)=>n,Te={toAttribute(n,e){switch(e){case Boolean:n=n?Gt:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,e){let t=n;switch(e){case Boolean:t=n!==null;break;case Number:t=n===null?null:Number(n);break;case Object:case Array:try{t=JSON.parse(n)}catch{t=null}}return t}},tt=(n,e)=>!Ft(n,e),et={attribute:!0,type:String,converter:Te,reflect:!1,useDefault:!1,hasChanged:tt};Symbol.metadata??=Symbol("metadata"),ce.litPropertyMetadata??=new WeakMap;var T=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=et){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let i=Symbol(),s=this.getPropertyDescriptor(e,i,t);s!==void 0&&Vt(this.prototype,e,s)}}static getPropertyDescriptor(e,t,i){let{get:s,set:r}=qt(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:s,set(o){let h=s?.call(this);r?.call(this,o),this.requestUpdate(e,h,i)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??et}static _$Ei(){if(this.hasOwnProperty(G("elementProperties")))return;let e=Xt(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(G("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(G("properties"))){let t=this.properties,i=[...Bt(t),...Wt(t)];for(let s of i)this.createProperty(s,t[s])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[i,s]of t)this.elementProperties.set(i,s)}this._$Eh=new Map;for(let[t,i]of this.elementProperties){let s=this._$Eu(t,i);s!==void 0&&this._$Eh.set(s,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let i=new Set(e.flat(1/0).reverse());for(let s of i)t.unshift(ke(s))}else e!==void 0&&t.push(ke(e));return t}static _$Eu(e,t){let i=t.attribute;return i===!1?void 0:typeof i=="string"?i:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let i of t.keys())this.hasOwnProperty(i)&&(e.set(i,this[i]),delete this[i]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return Ze(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,i){this._$AK(e,i)}_$ET(e,t){let i=this.constructor.elementProperties.get(e),s=this.constructor._$Eu(e,i);if(s!==void 0&&i.reflect===!0){let r=(i.converter?.toAttribute!==void 0?i.converter:Te).toAttribute(t,i.type);this._$Em=e,r==null?this.removeAttribute(s):this.setAttribute(s,r),this._$Em=null}}_$AK(e,t){let i=this.constructor,s=i._$Eh.get(e);if(s!==void 0&&this._$Em!==s){let r=i.getPropertyOptions(s),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:Te;this._$Em=s;let h=o.fromAttribute(t,r.type);this[s]=h??this._$Ej?.get(s)??h,this._$Em=null}}requestUpdate(e,t,i,s=!1,r){if(e!==void 0){let o=this.constructor;if(s===!1&&(r=this[e]),i??=o.getPropertyOptions(e),!((i.hasChanged??tt)(r,t)||i.useDefault&&i.reflect&&r===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,i))))return;this.C(e,t,i)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:i,reflect:s,wrapped:r},o){i&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),r!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||i||(t=void 0),this._$AL.set(e,t)),s===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[s,r]of this._$Ep)this[s]=r;this._$Ep=void 0}let i=this.constructor.elementProperties;if(i.size>0)for(let[s,r]of i){let{wrapped:o}=r,h=this[s];o!==!0||this._$AL.has(s)||h===void 0||this.C(s,void 0,r,h)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(i=>i.hostUpdate?.()),this.update(t)):this._$EM()}catch(i){throw e=!1,this._$EM(),i}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};T.elementStyles=[],T.shadowRootOptions={mode:"open"},T[G("elementProperties")]=new Map,T[G("finalized")]=new Map,Kt?.({ReactiveElement:T}),(ce.reactiveElementVersions??=[]).push("2.1.2");var ze=globalThis,it=n=>n,le=ze.trustedTypes,nt=le?le.createPolicy("lit-html",{createHTML:n=>n}):void 0,lt="$lit$",D=`lit$${Math.random().toFixed(9).slice(2)}$`,dt="?"+D,Yt=`<${dt}>`,z=document,Y=()=>z.createComment(""),J=n=>n===null||typeof n!="object"&&typeof n!="function",Le=Array.isArray,Jt=n=>Le(n)||typeof n?.[Symbol.iterator]=="function",Ne=`[ 	
\f\r]`,K=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,st=/-->/g,rt=/>/g,O=RegExp(`>|${Ne}(?:([^\\s"'>=/]+)(${Ne}*=${Ne}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ot=/'/g,at=/"/g,ht=/^(?:script|style|textarea|title)$/i,je=n=>(e,...t)=>({_$litType$:n,strings:e,values:t}),_=je(1),E=je(2),Ci=je(3),L=Symbol.for("lit-noChange"),b=Symbol.for("lit-nothing"),ct=new WeakMap,I=z.createTreeWalker(z,129);function ut(n,e){if(!Le(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return nt!==void 0?nt.createHTML(e):e}var Zt=(n,e)=>{let t=n.length-1,i=[],s,r=e===2?"<svg>":e===3?"<math>":"",o=K;for(let h=0;h<t;h++){let a=n[h],u,l,d=-1,p=0;for(;p<a.length&&(o.lastIndex=p,l=o.exec(a),l!==null);)p=o.lastIndex,o===K?l[1]==="!--"?o=st:l[1]!==void 0?o=rt:l[2]!==void 0?(ht.test(l[2])&&(s=RegExp("</"+l[2],"g")),o=O):l[3]!==void 0&&(o=O):o===O?l[0]===">"?(o=s??K,d=-1):l[1]===void 0?d=-2:(d=o.lastIndex-l[2].length,u=l[1],o=l[3]===void 0?O:l[3]==='"'?at:ot):o===at||o===ot?o=O:o===st||o===rt?o=K:(o=O,s=void 0);let c=o===O&&n[h+1].startsWith("/>")?" ":"";r+=o===K?a+Yt:d>=0?(i.push(u),a.slice(0,d)+lt+a.slice(d)+D+c):a+D+(d===-2?h:c)}return[ut(n,r+(n[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),i]},Z=class n{constructor({strings:e,_$litType$:t},i){let s;this.parts=[];let r=0,o=0,h=e.length-1,a=this.parts,[u,l]=Zt(e,t);if(this.el=n.createElement(u,i),I.currentNode=this.el.content,t===2||t===3){let d=this.el.content.firstChild;d.replaceWith(...d.childNodes)}for(;(s=I.nextNode())!==null&&a.length<h;){if(s.nodeType===1){if(s.hasAttributes())for(let d of s.getAttributeNames())if(d.endsWith(lt)){let p=l[o++],c=s.getAttribute(d).split(D),g=/([.?@])?(.*)/.exec(p);a.push({type:1,index:r,name:g[2],strings:c,ctor:g[1]==="."?He:g[1]==="?"?Ue:g[1]==="@"?Oe:V}),s.removeAttribute(d)}else d.startsWith(D)&&(a.push({type:6,index:r}),s.removeAttribute(d));if(ht.test(s.tagName)){let d=s.textContent.split(D),p=d.length-1;if(p>0){s.textContent=le?le.emptyScript:"";for(let c=0;c<p;c++)s.append(d[c],Y()),I.nextNode(),a.push({type:2,index:++r});s.append(d[p],Y())}}}else if(s.nodeType===8)if(s.data===dt)a.push({type:2,index:r});else{let d=-1;for(;(d=s.data.indexOf(D,d+1))!==-1;)a.push({type:7,index:r}),d+=D.length-1}r++}}static createElement(e,t){let i=z.createElement("template");return i.innerHTML=e,i}};function F(n,e,t=n,i){if(e===L)return e;let s=i!==void 0?t._$Co?.[i]:t._$Cl,r=J(e)?void 0:e._$litDirective$;return s?.constructor!==r&&(s?._$AO?.(!1),r===void 0?s=void 0:(s=new r(n),s._$AT(n,t,i)),i!==void 0?(t._$Co??=[])[i]=s:t._$Cl=s),s!==void 0&&(e=F(n,s._$AS(n,e.values),s,i)),e}var De=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:i}=this._$AD,s=(e?.creationScope??z).importNode(t,!0);I.currentNode=s;let r=I.nextNode(),o=0,h=0,a=i[0];for(;a!==void 0;){if(o===a.index){let u;a.type===2?u=new Q(r,r.nextSibling,this,e):a.type===1?u=new a.ctor(r,a.name,a.strings,this,e):a.type===6&&(u=new Ie(r,this,e)),this._$AV.push(u),a=i[++h]}o!==a?.index&&(r=I.nextNode(),o++)}return I.currentNode=z,s}p(e){let t=0;for(let i of this._$AV)i!==void 0&&(i.strings!==void 0?(i._$AI(e,i,t),t+=i.strings.length-2):i._$AI(e[t])),t++}},Q=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,i,s){this.type=2,this._$AH=b,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=i,this.options=s,this._$Cv=s?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=F(this,e,t),J(e)?e===b||e==null||e===""?(this._$AH!==b&&this._$AR(),this._$AH=b):e!==this._$AH&&e!==L&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Jt(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==b&&J(this._$AH)?this._$AA.nextSibling.data=e:this.T(z.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:i}=e,s=typeof i=="number"?this._$AC(e):(i.el===void 0&&(i.el=Z.createElement(ut(i.h,i.h[0]),this.options)),i);if(this._$AH?._$AD===s)this._$AH.p(t);else{let r=new De(s,this),o=r.u(this.options);r.p(t),this.T(o),this._$AH=r}}_$AC(e){let t=ct.get(e.strings);return t===void 0&&ct.set(e.strings,t=new Z(e)),t}k(e){Le(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,i,s=0;for(let r of e)s===t.length?t.push(i=new n(this.O(Y()),this.O(Y()),this,this.options)):i=t[s],i._$AI(r),s++;s<t.length&&(this._$AR(i&&i._$AB.nextSibling,s),t.length=s)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let i=it(e).nextSibling;it(e).remove(),e=i}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},V=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,i,s,r){this.type=1,this._$AH=b,this._$AN=void 0,this.element=e,this.name=t,this._$AM=s,this.options=r,i.length>2||i[0]!==""||i[1]!==""?(this._$AH=Array(i.length-1).fill(new String),this.strings=i):this._$AH=b}_$AI(e,t=this,i,s){let r=this.strings,o=!1;if(r===void 0)e=F(this,e,t,0),o=!J(e)||e!==this._$AH&&e!==L,o&&(this._$AH=e);else{let h=e,a,u;for(e=r[0],a=0;a<r.length-1;a++)u=F(this,h[i+a],t,a),u===L&&(u=this._$AH[a]),o||=!J(u)||u!==this._$AH[a],u===b?e=b:e!==b&&(e+=(u??"")+r[a+1]),this._$AH[a]=u}o&&!s&&this.j(e)}j(e){e===b?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},He=class extends V{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===b?void 0:e}},Ue=class extends V{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==b)}},Oe=class extends V{constructor(e,t,i,s,r){super(e,t,i,s,r),this.type=5}_$AI(e,t=this){if((e=F(this,e,t,0)??b)===L)return;let i=this._$AH,s=e===b&&i!==b||e.capture!==i.capture||e.once!==i.once||e.passive!==i.passive,r=e!==b&&(i===b||s);s&&this.element.removeEventListener(this.name,this,i),r&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},Ie=class{constructor(e,t,i){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=i}get _$AU(){return this._$AM._$AU}_$AI(e){F(this,e)}};var Qt=ze.litHtmlPolyfillSupport;Qt?.(Z,Q),(ze.litHtmlVersions??=[]).push("3.3.3");var pt=(n,e,t)=>{let i=t?.renderBefore??e,s=i._$litPart$;if(s===void 0){let r=t?.renderBefore??null;i._$litPart$=s=new Q(e.insertBefore(Y(),r),r,void 0,t??{})}return s._$AI(n),s};var Fe=globalThis,k=class extends T{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=pt(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return L}};k._$litElement$=!0,k.finalized=!0,Fe.litElementHydrateSupport?.({LitElement:k});var ei=Fe.litElementPolyfillSupport;ei?.({LitElement:k});(Fe.litElementVersions??=[]).push("4.2.2");function Ve(n,e){return e?{...n,camera_entity:e.camera_entity??n.camera_entity,person_entity:e.person_entity??n.person_entity,count_entity:e.count_entity??n.count_entity,region_entities:{...n.region_entities,...e.region_entities}}:n}function mt(n,e){n.dispatchEvent(new CustomEvent("config-changed",{detail:{config:e},bubbles:!0,composed:!0}))}var H=n=>n?.locale?.language??n?.language??"en";var gt={card:{name:"Bobby Camera",description:"The live picture with the detected persons and the regions; admins draw the regions on it.",persons:"{count} persons",person:"1 person",no_person:"No person",edit:"Edit regions",no_entity:"Choose a Bobby Camera camera in the card's settings.",not_found:"{entity} is not a Bobby Camera camera.",loading:"Loading…",unavailable:"The picture is not available.",error:"Error: {error}"},edit:{title:"Regions of {name}",hint_view:"Click a region to select it; drag it to move it, drag its points to reshape it, click a small point on an edge to add one.",hint_drawing:"Click on the picture to add points; click the first point to close the region.",add_region:"Add region",finish:"Close region",cancel_drawing:"Cancel drawing",remove_point:"Remove point",delete_region:"Delete region",region:"Region",name:"Name",labels:"Labels (comma separated)",min_score:"Minimum score (%, empty: the camera's threshold)",detection:"Detection settings",threshold:"Threshold (%)",min_area:"Minimum box area (% of the picture)",max_area:"Maximum box area (% of the picture)",frames_needed:"Frames needed",frames_window:"Frames window",clear_after:"Clear after (s)",area_boxes:"Dashed boxes: the minimum and maximum box area, to scale.",no_regions:"No regions: the whole picture counts.",save:"Save",saving:"Saving…",cancel:"Cancel",close:"Close",unsaved:"Unsaved changes",invalid:"Fix the marked problems before saving."},ack:{applied:"Applied by {service}, version {version}",refused:"Refused by {service} (version {version}): {error}",waiting:"Sent as version {version}; waiting for the detection service to acknowledge it.",last:"Last set: {status}"},problems:{too_few_points:"{region}: a region needs at least 3 points",too_many_points:"{region}: a region has at most 64 points",point_out_of_range:"{region}: every point must be inside the picture",degenerate_polygon:"{region}: the points do not enclose an area",self_intersecting:"{region}: the outline crosses itself",invalid_name:"{region}: give the region a name with letters or digits",duplicate_name:"{region}: another region has this name",invalid_labels:"{region}: give at least one label",invalid_min_score:"{region}: the minimum score is between 0 and 100 %",invalid_threshold:"The threshold is between 0 and 100 %",invalid_area:"The minimum box area must be below the maximum",invalid_frames:"Frames needed must be between 1 and the frames window (at most 30)",invalid_clear_after:"Clear after is between 0 and 3600 seconds",too_many_regions:"At most 32 regions"},editor:{entity:"Camera (Bobby Camera live view)",title:"Title",show_boxes:"Show the detected boxes",show_regions:"Show the regions"}};var qe={en:gt};function Be(n,e){let t=n;for(let i of e.split(".")){if(t===void 0||typeof t=="string")return;t=t[i]}return typeof t=="string"?t:void 0}function v(n,e,t={}){let i=(n??"en").toLowerCase();return(Be(qe[i],e)??Be(qe[i.split("-")[0]],e)??Be(qe.en,e)??e).replace(/\{(\w+)\}/g,(r,o)=>o in t?String(t[o]):r)}function de(n,e,t){if(!e||t!==void 0&&(e.version??-1)<t)return t===void 0?"":v(n,"ack.waiting",{version:t});let i={service:e.service??"?",version:e.version??"?",error:e.error??""};return v(n,e.ok?"ack.applied":"ack.refused",i)}function We(n,e){return e<=0?v(n,"card.no_person"):e===1?v(n,"card.person"):v(n,"card.persons",{count:e})}var ii=4e3,he=class{constructor(e,t={}){this.host=e;this.status="";this.saving=!1;this.detectionsAt=0;this.editing=t.editing??(()=>!1),this.now=t.now??Date.now,e.addController(this)}get lang(){return H(this.host.hass)}t(e,t){return v(this.lang,e,t)}hostConnected(){this.tick=setInterval(()=>this.expireDetections(),1e3),this.host.hass&&this.entity&&this.load()}hostDisconnected(){clearInterval(this.tick),this.tick=void 0,this.unsubscribe(),this.loadedFor=void 0}setEntity(e){e!==this.entity&&(this.entity=e,this.unsubscribe(),this.loadedFor=void 0,this.camera=void 0,this.pushed=void 0,this.detections=void 0,this.error=void 0,this.status="",this.host.requestUpdate())}hassChanged(){this.host.hass&&this.entity&&this.loadedFor!==this.entity&&this.load()}expireDetections(){this.detections&&this.now()-this.detectionsAt>ii&&(this.detections=void 0,this.host.requestUpdate())}noteImageSize(e,t){e<=0||t<=0||(!this.size||this.size[0]!==e||this.size[1]!==t)&&(this.size=[e,t],this.host.requestUpdate())}clearStatus(){this.status="",this.host.requestUpdate()}unsubscribe(){let e=this.unsub;this.unsub=void 0,e?.then(t=>t()).catch(()=>{})}async load(){let e=this.entity,t=this.host.hass;if(!(!t||!e)){this.loadedFor=e;try{let i=await t.callWS({type:"bobby_camera/get_config",entity_id:e});if(this.loadedFor!==e)return;this.camera=Ve(i,this.pushed),this.error=void 0,!this.status&&i.last_ack&&(this.status=this.t("ack.last",{status:de(this.lang,i.last_ack)}))}catch(i){let s=i;this.error=s.code==="not_found"?this.t("card.not_found",{entity:e}):this.t("card.error",{error:s.message??String(i)});return}finally{this.host.requestUpdate()}this.unsub||(this.unsub=t.connection.subscribeMessage(i=>this.onMessage(i),{type:"bobby_camera/subscribe_detections",entity_id:e}),this.unsub.catch(i=>{this.unsub=void 0,this.error=this.t("card.error",{error:i.message??String(i)}),this.host.requestUpdate()}))}}onMessage(e){if(e.entities&&(this.pushed=e.entities,this.camera&&(this.camera=Ve(this.camera,this.pushed))),e.detections&&(this.detections=e.detections,this.detectionsAt=this.now(),!this.size&&e.detections.size&&(this.size=e.detections.size)),e.ack){let t=e.ack,i=this.camera!==void 0&&(t.version??-1)>this.camera.version;this.camera&&(this.camera={...this.camera,last_ack:t}),i&&!this.editing()&&!this.saving&&(this.loadedFor=void 0,this.load()),(this.sentVersion===void 0||(t.version??-1)>=this.sentVersion)&&(this.status=de(this.lang,t,this.sentVersion))}this.host.requestUpdate()}async save(e,t){let i=this.entity,s=this.host.hass;if(!(!i||!s)){this.saving=!0,this.status=this.t("edit.saving"),this.host.requestUpdate();try{let r=await s.callWS({type:"bobby_camera/save_rois",entity_id:i,...e});this.sentVersion=r.version,this.status=de(this.lang,r.ack,r.version),t(),this.loadedFor=void 0,await this.load()}catch(r){let o=r,h=o.translation_key?`problems.${o.translation_key}`:"",a=h&&v("en",h)!==h;this.status=a?this.t(h,o.translation_placeholders??{}):this.t("card.error",{error:o.message??String(r)})}finally{this.saving=!1,this.host.requestUpdate()}}}};var ft=X`
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
`;var pe=n=>n<0?0:n>1?1:n,A=n=>Math.round(n*1e6)/1e6;function bt(n,e,t){return t.width<=0||t.height<=0?[0,0]:[A(pe((n-t.left)/t.width)),A(pe((e-t.top)/t.height))]}function ee(n,e){let t=!1;for(let i=0,s=e.length-1;i<e.length;s=i++){let[r,o]=e[i],[h,a]=e[s];o>n[1]!=a>n[1]&&n[0]<(h-r)*(n[1]-o)/(a-o)+r&&(t=!t)}return t}var q=(n,e,t)=>(e[0]-n[0])*(t[1]-n[1])-(e[1]-n[1])*(t[0]-n[0]),ue=(n,e,t)=>Math.min(n[0],e[0])-1e-12<=t[0]&&t[0]<=Math.max(n[0],e[0])+1e-12&&Math.min(n[1],e[1])-1e-12<=t[1]&&t[1]<=Math.max(n[1],e[1])+1e-12;function ni(n,e,t,i){let s=q(t,i,n),r=q(t,i,e),o=q(n,e,t),h=q(n,e,i);return(s>1e-12&&r<-1e-12||s<-1e-12&&r>1e-12)&&(o>1e-12&&h<-1e-12||o<-1e-12&&h>1e-12)?!0:Math.abs(s)<=1e-12&&ue(t,i,n)||Math.abs(r)<=1e-12&&ue(t,i,e)||Math.abs(o)<=1e-12&&ue(n,e,t)||Math.abs(h)<=1e-12&&ue(n,e,i)}function _t(n){let e=n.length;if(e<3)return"too_few_points";if(e>64)return"too_many_points";for(let[t,i]of n)if(!Number.isFinite(t)||!Number.isFinite(i)||t<0||t>1||i<0||i>1)return"point_out_of_range";for(let t=0;t<e;t++){let i=n[t],s=n[(t+1)%e];if(Math.abs(i[0]-s[0])<=1e-12&&Math.abs(i[1]-s[1])<=1e-12)return"degenerate_polygon"}if(n.slice(2).every(t=>Math.abs(q(n[0],n[1],t))<=1e-12))return"degenerate_polygon";for(let t=0;t<e;t++)for(let i=t+1;i<e;i++){let[s,r]=[n[t],n[(t+1)%e]],[o,h]=[n[i],n[(i+1)%e]];if(i===t+1||t===0&&i===e-1){let[a,u,l]=i===t+1?[r,s,h]:[s,r,o],d=(u[0]-a[0])*(l[0]-a[0])+(u[1]-a[1])*(l[1]-a[1]);if(Math.abs(q(a,u,l))<=1e-12&&d>0)return"self_intersecting";continue}if(ni(s,r,o,h))return"self_intersecting"}return null}function si(n,e,t,i){return Math.hypot((n[0]-e[0])*t,(n[1]-e[1])*i)}function me(n,e,t,i,s){let r=-1,o=s;return e.forEach((h,a)=>{let u=si(n,h,t,i);u<=o&&(r=a,o=u)}),r}function ge(n){return n.map((e,t)=>{let i=n[(t+1)%n.length];return[A((e[0]+i[0])/2),A((e[1]+i[1])/2)]})}function yt(n,e){for(let t=e.length-1;t>=0;t--)if(e[t].length>=3&&ee(n,e[t]))return t;return-1}function vt(n,e,t){if(!n.length)return[];let i=n.map(h=>h[0]),s=n.map(h=>h[1]),r=Math.min(Math.max(e,-Math.min(...i)),1-Math.max(...i)),o=Math.min(Math.max(t,-Math.min(...s)),1-Math.max(...s));return n.map(([h,a])=>[A(pe(h+r)),A(pe(a+o))])}var xt=n=>[(n[0]+n[2])/2,n[3]];function $t(n){let e=Math.sqrt(Math.min(Math.max(n,0),1)),t=(1-e)/2;return[t,t,t+e,t+e]}var ye=n=>`${Math.round(Math.min(Math.max(n,0),1)*100)}%`,St=(n,e)=>`${n} ${ye(e)}`,fe=(n,e,t=0)=>n.x<e.x+e.w+t&&e.x<n.x+n.w+t&&n.y<e.y+e.h+t&&e.y<n.y+n.h+t,ri=(n,e)=>Math.max(0,Math.min(n.x+n.w,e.x+e.w)-Math.max(n.x,e.x))*Math.max(0,Math.min(n.y+n.h,e.y+e.h)-Math.max(n.y,e.y)),be=(n,e)=>n.measure(e)+2*n.pad,oi=(n,e)=>n.x>=-1e-9&&n.y>=-1e-9&&n.x+n.w<=e.width+1e-9&&n.y+n.h<=e.height+1e-9;function _e(n,e){return n.w>e.width||n.h>e.height?null:{...n,x:Math.min(Math.max(n.x,0),e.width-n.w),y:Math.min(Math.max(n.y,0),e.height-n.h)}}function ai(n,e,t,i){let[s,r,o,h]=n,a=o-e,u=[[s,r-t],[s,h],[s,r],[a,r-t],[a,h],[s,h-t],[a,r],[a,h-t]];for(let l=1;l<=6;l++)for(let d of[l*i,-l*i])u.push([s+d,r-t],[s+d,h],[s+d,r]);for(let l=1;l<=4;l++)for(let d of[0,i,-i,2*i,-2*i])u.push([s+d,r-t-l*(t+i/4)],[s+d,h+l*(t+i/4)]);return u}function ci(n,e,t){let i=(l,d,p,c)=>{if(d<p)return[d,p,p-d];if(c<l)return[l,c,l-c];let g=(Math.max(l,p)+Math.min(d,c))/2;return[g,g,0]},[s,r,o]=i(n.x,n.x+n.w,e.x,e.x+e.w),[h,a,u]=i(n.y,n.y+n.h,e.y,e.y+e.h);return Math.hypot(o,u)<=t?null:[s,h,r,a]}function Et(n,e,t=[]){let i=e.lineHeight,s=n.map(({box:[c,g,m,x]})=>({x:c,y:g,w:Math.max(0,m-c),h:Math.max(0,x-g)})),r=n.map(c=>({rect:null,text:c.text,mergedInto:-1,leader:null})),o=[],h=(c,g=-1)=>oi(c,e)&&!t.some(m=>fe(c,m,e.gap))&&!o.some(m=>m!==g&&r[m].rect!==null&&fe(c,r[m].rect,e.gap)),a=(c,g,m=-1)=>{let x=be(e,g),N=null,y=1/0,R=ai(n[c].box,x,i,i);for(let C=0;C<R.length&&C<y;C++){let S=_e({x:R[C][0],y:R[C][1],w:x,h:i},e);if(!S||!h(S,m))continue;let f=s.reduce((U,j,re)=>re===c?U:U+ri(S,j),0)/(x*i),P=C+6*f;P<y&&(y=P,N=S)}return N},u=n.map((c,g)=>g).sort((c,g)=>n[g].priority-n[c].priority||c-g),l=[];for(let c of u){for(let g of[n[c].text,n[c].short]){let m=a(c,g);if(m){r[c]={...r[c],rect:m,text:g},o.push(c);break}}r[c].rect||l.push(c)}let d=c=>[s[c].x+s[c].w/2,s[c].y+s[c].h/2],p=new Map;for(let c of l){let[g,m]=d(c),N=o.filter(y=>fe(s[y],s[c],2*i)).sort((y,R)=>Math.hypot(...wt(d(y),[g,m]))-Math.hypot(...wt(d(R),[g,m]))||y-R);for(let y of N){let R=[...p.get(y)??[],c],S=`${r[y].text.replace(/ \+\d+$/,"")} +${R.length}`,f=_e({...r[y].rect,w:be(e,S)},e),P=f&&h(f,y)?f:a(y,S,y);if(P){r[y]={...r[y],rect:P,text:S},p.set(y,R),r[c]={...r[c],mergedInto:y};break}}}for(let c of o)r[c].leader=ci(r[c].rect,s[c],e.gap+1);return r}var wt=(n,e)=>[n[0]-e[0],n[1]-e[1]],Pt=n=>Math.abs(n.reduce((e,[t,i],s)=>{let[r,o]=n[(s+1)%n.length];return e+t*o-r*i},0))/2;function At(n,e,t=[],i="corner"){let s=e.lineHeight,r=new Array(n.length),o=[...t],h=n.map((a,u)=>u).sort((a,u)=>Pt(n[a].points)-Pt(n[u].points)||a-u);for(let a of h){let{points:u,text:l}=n[a],d=u.length||1,p=u.reduce((f,P)=>f+P[0],0)/d,c=u.reduce((f,P)=>f+P[1],0)/d,g=u.map(f=>f[0]),m=u.map(f=>f[1]),[x,N,y,R]=[Math.min(...g),Math.max(...g),Math.min(...m),Math.max(...m)],C=[l];for(let f=l.length-1;f>=3;f=Math.min(f-1,Math.floor(f*.75)))C.push(`${l.slice(0,f).trimEnd()}…`);let S;for(let f of C){let P=be(e,f),U=[],j=12;for(let $=0;$<=j;$++)for(let w=0;w<=j;w++){let M=[x+(N-x)*$/j,y+(R-y)*w/j];U.push({c:M,inside:ee(M,u),d:Math.hypot(M[0]-p,M[1]-c)})}for(let $=1;$<=8;$++)for(let w=0;w<16;w++){let M=[p+Math.cos(w*Math.PI/8)*$*s*1.5,c+Math.sin(w*Math.PI/8)*$*s];U.push({c:M,inside:!1,d:1e6+$})}let re=[{c:[p,c],inside:ee([p,c],u),d:-1}];if(i==="corner"&&u.length){let $=u.reduce((M,Me)=>Me[0]+Me[1]<M[0]+M[1]?Me:M,u[0]),w=[$[0]+2*e.gap+P/2,$[1]+2*e.gap+s/2];re.unshift({c:w,inside:ee(w,u),d:-2})}let jt=[...re,...U].sort(($,w)=>Number(w.inside)-Number($.inside)||$.d-w.d);for(let{c:$}of jt){let w=_e({x:$[0]-P/2,y:$[1]-s/2,w:P,h:s},e);if(w&&!o.some(M=>fe(w,M,e.gap))){S={rect:w,text:f,free:!0};break}}if(S)break}if(!S){let f=C[C.length-1],P=be(e,f);S={rect:_e({x:p-P/2,y:c-s/2,w:P,h:s},e)??{x:0,y:0,w:P,h:s},text:f,free:!1}}o.push(S.rect),r[a]=S}return r}var Rt=[640,480],ve=13,li=500,di=18,kt=4,hi=2,ui=14,pi=8,Ct=24,Mt=8,mi=560,te;function Tt(n,e){return te===void 0&&(te=document.createElement("canvas").getContext("2d")),te?(te.font=`${li} ${ve}px ${e}`,te.measureText(n).width):n.length*ve*.62}var B=n=>n.width>0?n.size[0]/n.width:1;function ie(n,e){let[t,i]=n.size;return e.map(([s,r])=>`${s*t},${r*i}`).join(" ")}function Xe(n){let[e,t]=n.size,i=B(n);return{width:e,height:t,lineHeight:di*i,pad:kt*i,gap:hi*i,measure:s=>n.measure(s)*i}}function xe(n,e,t,i){let s=B(n);return E`<g class="chip ${e}">
      <rect x=${t.x} y=${t.y} width=${t.w} height=${t.h} rx=${3*s}></rect>
      <text x=${t.x+kt*s} y=${t.y+t.h/2} font-size=${ve*s} dominant-baseline="central">${i}</text>
    </g>`}var $e=class{place(e,t,i,s,r){let o=JSON.stringify([t,i.width,i.height,i.lineHeight,e.font,s,r]);return this.cache?.key!==o&&(this.cache={key:o,placed:At(t,i,r?[r]:[],s)}),this.cache.placed}};function Ge(n,e,t,i){let s=e?.count_entity,r=s?t?.[s]?.state:void 0,o=r!==void 0&&r!==""&&!Number.isNaN(Number(r))?Number(r):i?.persons??0;return We(n,o)}function gi(n,e,t){let[i,s]=n.size,r=B(n),h=Math.max(n.measure(e),n.measure(We(t,88)))*ui/ve+2*pi;return{x:i-(Mt+h)*r,y:s-(Mt+Ct)*r,w:h*r,h:Ct*r}}function Nt(n){let{picture:e,camera:t,config:i}=n,[s,r]=e.size,o=Xe(e),h=m=>m.map(([x,N])=>[x*s,N*r]),a=t&&i.show_regions!==!1?t.rois.map(m=>{let x=m.id?t.region_entities[m.id]:void 0;return{roi:m,on:x?n.states?.[x]?.state==="on":!1}}):[],u=gi(e,Ge(n.lang,t,n.states,n.detections),n.lang),l=n.names.place(e,a.map(({roi:m})=>({points:h(m.points),text:m.name})),o,"corner",u),p=(i.show_boxes===!1?void 0:n.detections)?.objects??[],c=e.width>0&&e.width<mi,g=Et(p.map(m=>({box:[m.box[0]*s,m.box[1]*r,m.box[2]*s,m.box[3]*r],text:c?ye(m.score):St(m.label,m.score),short:ye(m.score),priority:m.score})),o,[...l.map(m=>m.rect),u]);return{regions:a,names:l,objects:p,scores:g,countBox:u}}function Dt(n,e){let[t,i]=n.size,s=B(n),{regions:r,names:o,objects:h,scores:a}=e,u=l=>E`<g class="fills ${l?"on":"off"}">${r.filter(d=>d.on===l).map(({roi:d})=>E`<polygon points=${ie(n,d.points)}></polygon>`)}</g>`;return[u(!1),u(!0),...r.map(({roi:l,on:d})=>E`<g class="region ${d?"on":""}" data-id=${l.id??""}><polygon points=${ie(n,l.points)}></polygon></g>`),...h.map(l=>{let[d,p,c,g]=l.box,[m,x]=xt(l.box);return E`<g class="box">
          <rect x=${d*t} y=${p*i} width=${(c-d)*t} height=${(g-p)*i}></rect>
          <circle class="foot" cx=${m*t} cy=${x*i} r=${4*s}></circle>
        </g>`}),...a.flatMap(l=>l.leader?[E`<line class="leader" x1=${l.leader[0]} y1=${l.leader[1]} x2=${l.leader[2]} y2=${l.leader[3]}></line>`]:[]),...r.map(({on:l},d)=>xe(n,`name ${l?"on":""}`,o[d].rect,o[d].text)),...a.flatMap(l=>l.rect?[xe(n,"score",l.rect,l.text)]:[])]}function Ht(n,e,t){let i=e?n?.states[e]:void 0;if(!n||!i||i.state==="unavailable")return;let s=i.attributes.access_token;return t?i.attributes.entity_picture?n.hassUrl(i.attributes.entity_picture):void 0:s?n.hassUrl(`/api/camera_proxy_stream/${e}?token=${encodeURIComponent(s)}`):void 0}var fi=30,bi=3600,Se=32,It={labels:["person"],threshold:.5,min_area:0,max_area:1,frames_needed:2,frames_window:3,clear_after:10};function Ke(n){return n.normalize("NFKD").replace(/[\u0300-\u036f]/g,"").toLowerCase().replace(/[^a-z0-9]+/g,"_").replace(/^_+|_+$/g,"").slice(0,32).replace(/_+$/g,"")}var we=n=>typeof n=="number"&&Number.isFinite(n)&&n>=0&&n<=1,Pe=class{constructor(e=[],t={}){this.selected=-1;this.selectedPoint=-1;this.drawing=null;this.dirty=!1;this.drag=null;this.regions=e.map(i=>({...i,points:i.points.map(s=>[s[0],s[1]]),labels:[...i.labels?.length?i.labels:["person"]]})),this.detection={...It,...t,labels:[...t.labels??It.labels]},this.originalNames=new Map}get dragging(){return this.drag!==null}newName(e="Region"){let t=new Set(this.regions.map(s=>Ke(s.name))),i=this.regions.length+1;for(;t.has(Ke(`${e} ${i}`));)i++;return`${e} ${i}`}startDrawing(){this.drawing=[],this.selected=-1,this.selectedPoint=-1}cancelDrawing(){this.drawing=null}closeDrawing(e){return!this.drawing||this.drawing.length<3?-1:(this.regions.push({name:e??this.newName(),points:this.drawing,labels:["person"]}),this.drawing=null,this.dirty=!0,this.selected=this.regions.length-1,this.selectedPoint=-1,this.selected)}select(e){this.selected=e>=0&&e<this.regions.length?e:-1,this.selectedPoint=-1}movePoint(e,t,i){let s=this.regions[e];!s||t<0||t>=s.points.length||(s.points[t]=[A(i[0]),A(i[1])],this.dirty=!0)}insertPoint(e,t,i){let s=this.regions[e];return!s||s.points.length>=64?-1:(s.points.splice(t+1,0,[A(i[0]),A(i[1])]),this.dirty=!0,t+1)}removePoint(e,t){let i=this.regions[e];!i||t<0||t>=i.points.length||(i.points.splice(t,1),this.selected===e&&(this.selectedPoint=-1),this.dirty=!0)}moveRegion(e,t,i,s){let r=this.regions[e];r&&(r.points=vt(t,i,s),this.dirty=!0)}rename(e,t){let i=this.regions[e];i&&(i.id!==void 0&&!this.originalNames.has(e)&&this.originalNames.set(e,i.name),i.name=t,this.dirty=!0)}deleteRegion(e){if(e<0||e>=this.regions.length)return;this.regions.splice(e,1);let t=[...this.originalNames.entries()];this.originalNames.clear();for(let[i,s]of t)i!==e&&this.originalNames.set(i>e?i-1:i,s);this.selected=-1,this.selectedPoint=-1,this.dirty=!0}setLabels(e,t){let i=this.regions[e];i&&(i.labels=[...new Set(t.map(s=>s.trim()).filter(Boolean))],this.dirty=!0)}setMinScore(e,t){let i=this.regions[e];i&&(t===null?delete i.min_score:i.min_score=t,this.dirty=!0)}setDetection(e,t){this.detection={...this.detection,[e]:t},this.dirty=!0}pointerDown(e,t,i,s){if(this.drawing)return this.drawing.length>=3&&me(e,[this.drawing[0]],t,i,s)===0?(this.closeDrawing(),"closed"):this.drawing.length>=64?"none":(this.drawing.push([A(e[0]),A(e[1])]),"added");let r=this.regions[this.selected];if(r){let a=me(e,r.points,t,i,s);if(a>=0)return this.selectedPoint=a,this.drag={kind:"point",region:this.selected,index:a},"drag-point";let u=me(e,ge(r.points),t,i,s);if(u>=0){let l=this.insertPoint(this.selected,u,e);if(l>=0)return this.selectedPoint=l,this.drag={kind:"point",region:this.selected,index:l},"inserted"}}let o=yt(e,this.regions.map(a=>a.points));if(o>=0)return o!==this.selected?this.select(o):this.selectedPoint=-1,this.drag={kind:"region",region:o,start:e,original:this.regions[o].points.map(a=>[a[0],a[1]])},"drag-region";let h=this.selected>=0;return this.select(-1),h?"deselected":"none"}pointerMove(e){let t=this.drag;return t?(t.kind==="point"?this.movePoint(t.region,t.index,e):this.moveRegion(t.region,t.original,e[0]-t.start[0],e[1]-t.start[1]),!0):!1}pointerUp(){this.drag=null}regionProblems(){let e=this.regions.map((t,i)=>this.payloadId(t,i)??Ke(t.name));return this.regions.map((t,i)=>{let s=_t(t.points);return s||(e[i]?e.indexOf(e[i])!==i?"duplicate_name":t.labels.length?t.min_score!=null&&!we(t.min_score)?"invalid_min_score":null:"invalid_labels":"invalid_name")})}detectionProblem(){let e=this.detection;return e.labels.length?we(e.threshold)?!we(e.min_area)||!we(e.max_area)||e.min_area>=e.max_area?"invalid_area":!(Number.isInteger(e.frames_needed)&&Number.isInteger(e.frames_window))||e.frames_needed<1||e.frames_needed>e.frames_window||e.frames_window>fi?"invalid_frames":!Number.isFinite(e.clear_after)||e.clear_after<0||e.clear_after>bi?"invalid_clear_after":null:"invalid_threshold":"invalid_labels"}get valid(){return!this.drawing&&this.detectionProblem()===null&&this.regionProblems().every(e=>e===null)}payloadId(e,t){if(e.id===void 0)return;let i=this.originalNames.get(t);return i===void 0||i===e.name?e.id:void 0}payload(){return{rois:this.regions.map((e,t)=>{let i={name:e.name.trim(),points:e.points.map(r=>[r[0],r[1]]),labels:[...e.labels]},s=this.payloadId(e,t);return s!==void 0&&(i.id=s),e.min_score!=null&&(i.min_score=e.min_score),i}),detection:{...this.detection,labels:[...this.detection.labels]}}}};var _i=11,yi=22,zt=n=>n.target.value;function Lt(n){let e=n.trim();return e===""?null:Number(e)}var Ee=n=>n==null||Number.isNaN(n)?"":String(Math.round(n*1e4)/100);function vi(n,e=1){let t=Lt(n);return t===null?NaN:Math.round(t*e*1e4)/1e4}function xi(n){let e=Lt(n);return e===null?null:Math.round(e*100)/1e4}function $i(n,e){let t=e.regionProblems(),i=e.detectionProblem();return[...t.flatMap((s,r)=>s?[v(n,`problems.${s}`,{region:e.regions[r].name||"?"})]:[]),...i?[v(n,`problems.${i}`)]:[],...e.regions.length>Se?[v(n,"problems.too_many_regions")]:[]]}var Ae=class{constructor(e,t){this.host=e;this.data=t;this.start=()=>{let e=this.data.camera;e&&(this.state=new Pe(e.rois,e.detection),this.data.clearStatus(),this.host.requestUpdate())};this.stop=()=>{this.state=void 0,this.host.requestUpdate()};this.save=async()=>{let e=this.state;!e||!e.valid||await this.data.save(e.payload(),this.stop)};this.onPointerDown=e=>{let t=this.state;if(!this.editing||!t||e.button>0)return;e.preventDefault();let{p:i,w:s,h:r}=this.point(e);t.pointerDown(i,s,r,e.pointerType==="touch"?yi:_i),t.dragging&&e.currentTarget.setPointerCapture?.(e.pointerId),this.host.requestUpdate()};this.onPointerMove=e=>{let t=this.state;t?.dragging&&(e.preventDefault(),t.pointerMove(this.point(e).p)&&this.host.requestUpdate())};this.onPointerUp=e=>{let t=this.state;t?.dragging&&(t.pointerUp(),e.currentTarget.releasePointerCapture?.(e.pointerId),this.host.requestUpdate())};this.onContextMenu=e=>{let t=this.state;!this.editing||!t||(e.preventDefault(),t.selectedPoint>=0&&(t.removePoint(t.selected,t.selectedPoint),t.pointerUp(),this.host.requestUpdate()))}}get editing(){return this.state!==void 0}get lang(){return H(this.host.hass)}t(e,t){return v(this.lang,e,t)}act(e){this.state&&(e(this.state),this.host.requestUpdate())}setDetection(e,t,i=1){let s=vi(zt(e),i);this.act(r=>r.setDetection(t,s))}point(e){let t=e.currentTarget.getBoundingClientRect();return{p:bt(e.clientX,e.clientY,t),w:t.width,h:t.height}}layer(e,t){let i=this.state;if(!i)return[];let[s,r]=e.size,o=B(e),h=i.regionProblems(),a=[];for(let[d,p]of[["min-area",i.detection.min_area],["max-area",i.detection.max_area]])if(p>0&&p<1){let[c,g,m,x]=$t(p);a.push(E`<rect class="area ${d}" x=${c*s} y=${g*r} width=${(m-c)*s} height=${(x-g)*r}></rect>`)}i.regions.forEach((d,p)=>{let c=p===i.selected;a.push(E`<g class="region edit ${c?"selected":""} ${h[p]?"invalid":""}" data-index=${p}>
        <polygon points=${ie(e,d.points)}></polygon>
      </g>`)});let u=t.place(e,i.regions.map(d=>({points:d.points.map(([p,c])=>[p*s,c*r]),text:d.name})),Xe(e),"centre");i.regions.forEach((d,p)=>{d.name&&a.push(xe(e,`name ${p===i.selected?"selected":""} ${h[p]?"invalid":""}`,u[p].rect,u[p].text))});let l=i.regions[i.selected];return l&&!i.drawing&&(ge(l.points).forEach(([d,p])=>a.push(E`<circle class="mid" cx=${d*s} cy=${p*r} r=${5*o}></circle>`)),l.points.forEach(([d,p],c)=>a.push(E`<circle class="vertex ${c===i.selectedPoint?"current":""}" cx=${d*s} cy=${p*r} r=${7*o}></circle>`))),i.drawing&&(a.push(E`<polyline class="drawing" points=${ie(e,i.drawing)}></polyline>`),i.drawing.forEach(([d,p],c)=>a.push(E`<circle class="vertex ${c===0&&i.drawing.length>=3?"first":""}" cx=${d*s} cy=${p*r} r=${(c===0?9:6)*o}></circle>`))),a}panel(){let e=this.state;if(!e)return _``;let t=e.regions[e.selected],i=$i(this.lang,e),s=e.detection;return _`<div class="edit">
      <div class="hint">${this.t(e.drawing?"edit.hint_drawing":"edit.hint_view")}</div>
      <div class="toolbar">
        ${e.drawing?_`<button class="finish" ?disabled=${e.drawing.length<3} @click=${()=>this.act(r=>r.closeDrawing())}>${this.t("edit.finish")}</button>
              <button @click=${()=>this.act(r=>r.cancelDrawing())}>${this.t("edit.cancel_drawing")}</button>`:_`<button class="add" ?disabled=${e.regions.length>=Se} @click=${()=>this.act(r=>r.startDrawing())}>${this.t("edit.add_region")}</button>`}
        ${t&&!e.drawing?_`<button class="remove-point" ?disabled=${e.selectedPoint<0} @click=${()=>this.act(r=>r.removePoint(r.selected,r.selectedPoint))}>
                ${this.t("edit.remove_point")}
              </button>
              <button class="delete" @click=${()=>this.act(r=>r.deleteRegion(r.selected))}>${this.t("edit.delete_region")}</button>`:b}
      </div>
      ${t&&!e.drawing?_`<fieldset class="region-form">
            <legend>${this.t("edit.region")}</legend>
            <label>${this.t("edit.name")}<input class="name" .value=${t.name} @input=${r=>this.act(o=>o.rename(o.selected,r.target.value))} /></label>
            <label>${this.t("edit.labels")}<input class="labels" .value=${t.labels.join(", ")} @change=${r=>this.act(o=>o.setLabels(o.selected,r.target.value.split(",")))} /></label>
            <label>${this.t("edit.min_score")}<input class="min-score" type="number" min="0" max="100" step="1" .value=${Ee(t.min_score)}
              @change=${r=>this.act(o=>o.setMinScore(o.selected,xi(zt(r))))} /></label>
          </fieldset>`:_`<div class="regions-summary">${e.regions.length?e.regions.map(r=>r.name).join(", "):this.t("edit.no_regions")}</div>`}
      <details class="detection">
        <summary>${this.t("edit.detection")}</summary>
        <div class="grid">
          <label>${this.t("edit.threshold")}<input class="threshold" type="number" min="1" max="100" step="1" .value=${Ee(s.threshold)} @change=${r=>this.setDetection(r,"threshold",.01)} /></label>
          <label>${this.t("edit.min_area")}<input class="min-area" type="number" min="0" max="100" step="0.1" .value=${Ee(s.min_area)} @input=${r=>this.setDetection(r,"min_area",.01)} /></label>
          <label>${this.t("edit.max_area")}<input class="max-area" type="number" min="0.1" max="100" step="0.1" .value=${Ee(s.max_area)} @input=${r=>this.setDetection(r,"max_area",.01)} /></label>
          <label>${this.t("edit.frames_needed")}<input class="frames-needed" type="number" min="1" max="30" step="1" .value=${String(s.frames_needed)} @change=${r=>this.setDetection(r,"frames_needed")} /></label>
          <label>${this.t("edit.frames_window")}<input class="frames-window" type="number" min="1" max="30" step="1" .value=${String(s.frames_window)} @change=${r=>this.setDetection(r,"frames_window")} /></label>
          <label>${this.t("edit.clear_after")}<input class="clear-after" type="number" min="0" max="3600" step="0.5" .value=${String(s.clear_after)} @change=${r=>this.setDetection(r,"clear_after")} /></label>
        </div>
        <div class="hint">${this.t("edit.area_boxes")}</div>
      </details>
      ${i.length?_`<ul class="problems">${i.map(r=>_`<li>${r}</li>`)}</ul>`:b}
      <div class="footer">
        <span class="status" role="status">${this.data.status||(e.dirty?this.t("edit.unsaved"):"")}</span>
        <button @click=${this.stop}>${this.t("edit.cancel")}</button>
        <button class="primary save" ?disabled=${!e.valid||e.regions.length>Se||this.data.saving} @click=${this.save}>${this.t(this.data.saving?"edit.saving":"edit.save")}</button>
      </div>
    </div>`}};var wi=[{name:"entity",required:!0,selector:{entity:{domain:"camera",integration:"bobby_camera"}}},{name:"title",selector:{text:{}}},{name:"show_boxes",selector:{boolean:{}}},{name:"show_regions",selector:{boolean:{}}}],ne=class extends k{constructor(){super(...arguments);this._label=t=>v(H(this.hass),`editor.${t.name}`)}setConfig(t){this._config=t}_changed(t){t.stopPropagation();let i={...t.detail.value,type:this._config?.type??"custom:bobby-camera-card"};mt(this,i)}render(){return!this.hass||!this._config?_``:_`<ha-form
      .hass=${this.hass}
      .data=${{show_boxes:!0,show_regions:!0,...this._config}}
      .schema=${wi}
      .computeLabel=${this._label}
      @value-changed=${this._changed}
    ></ha-form>`}};ne.properties={hass:{attribute:!1},_config:{state:!0}},ne.styles=X`
    :host {
      display: block;
    }
  `;customElements.get("bobby-camera-card-editor")||customElements.define("bobby-camera-card-editor",ne);var Ce="bobby-camera-card",se=class extends k{constructor(){super(...arguments);this._width=0;this._imageFailed=!1;this._font="";this._data=new he(this,{editing:()=>this._editor.editing});this._editor=new Ae(this,this._data);this._names=new $e}static getConfigElement(){return document.createElement("bobby-camera-card-editor")}static getStubConfig(t){let i=Object.values(t.entities??{}).find(r=>r?.platform==="bobby_camera"&&r.entity_id.startsWith("camera.")),s=Object.keys(t.states).find(r=>r.startsWith("camera."));return{type:`custom:${Ce}`,entity:i?.entity_id??s??""}}setConfig(t){if(!t||typeof t!="object")throw new Error("Invalid configuration");if(t.entity!==void 0&&(typeof t.entity!="string"||t.entity&&!t.entity.startsWith("camera.")))throw new Error("entity must be a camera entity (camera.…)");let i=t.entity!==this._config?.entity;this._config={show_boxes:!0,show_regions:!0,...t},i&&(this._data.setEntity(t.entity),this._editor.stop())}getCardSize(){return this._editor.editing?12:6}getGridOptions(){return{columns:12,min_columns:6,rows:"auto"}}get _lang(){return H(this.hass)}_t(t,i){return v(this._lang,t,i)}disconnectedCallback(){super.disconnectedCallback(),this._resize?.disconnect(),this._resize=void 0}firstUpdated(){this._observe()}updated(t){t.has("hass")&&this._data.hassChanged(),this._observe()}_observe(){let t=this.renderRoot.querySelector(".picture");!t||this._resize||(this._resize=new ResizeObserver(i=>{this._width=i[0]?.contentRect.width??0}),this._resize.observe(t))}get _picSize(){return this._data.size??this._data.camera?.resolution??Rt}_onImageLoad(t){let i=t.target;this._data.noteImageSize(i.naturalWidth,i.naturalHeight)}get _picture(){if(!this._font){let i=this.renderRoot?.querySelector("svg");i&&(this._font=getComputedStyle(i).fontFamily||"sans-serif")}let t=this._font||this.isConnected&&getComputedStyle(this).fontFamily||"sans-serif";return{size:this._picSize,width:this._width,font:t,measure:i=>Tt(i,t)}}_overlayView(){let t=this._picture,i=Nt({picture:t,config:this._config??{},camera:this._data.camera,states:this.hass?.states,detections:this._data.detections,lang:this._lang,names:this._names});return Dt(t,i)}render(){if(!this._config)return _``;let t=this._config.title??this._data.camera?.name;if(!this._config.entity)return _`<ha-card .header=${t}><div class="message">${this._t("card.no_entity")}</div></ha-card>`;let[i,s]=this._picSize,r=Ht(this.hass,this._data.camera?.camera_entity??this._config?.entity,this._imageFailed),o=this.hass?.user?.is_admin===!0;return _`<ha-card .header=${t}>
      ${this._data.error?_`<div class="message error">${this._data.error}</div>`:b}
      <div class="picture" style="aspect-ratio: ${i} / ${s}">
        ${r?_`<img src=${r} alt="" @load=${this._onImageLoad} @error=${()=>this._imageFailed=!0} />`:_`<div class="unavailable">${this._t(this._data.camera?"card.unavailable":"card.loading")}</div>`}
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
        ${this._editor.editing?b:_`<div class="count">${this._countText()}</div>`}
      </div>
      ${this._editor.editing?this._editor.panel():this._footer(o)}
    </ha-card>`}_countText(){return Ge(this._lang,this._data.camera,this.hass?.states,this._data.detections)}_footer(t){return _`<div class="footer">
      <span class="status" role="status">${this._data.status}</span>
      ${t&&this._data.camera?_`<button class="primary" @click=${this._editor.start}>${this._t("card.edit")}</button>`:b}
    </div>`}};se.properties={hass:{attribute:!1},_config:{state:!0},_width:{state:!0},_imageFailed:{state:!0}},se.styles=ft;if(!customElements.get(Ce)){customElements.define(Ce,se);let n=window;n.customCards=n.customCards??[],n.customCards.push({type:Ce,name:v(navigator.language,"card.name"),description:v(navigator.language,"card.description"),preview:!0,documentationURL:"https://github.com/bobby-camera/bobby-camera/blob/main/docs/home-assistant.md#the-dashboard-card"})}export{se as BobbyCameraCard};
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
