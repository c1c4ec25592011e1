// response_mode=web_message (the Wix SDK's getMemberTokensForDirectLogin): post the authorization
// response to the window that framed this page. The target origin is the approved redirect URI's
// origin, never "*", so the browser delivers the code to that origin's window and to no other.
"use strict";
(function () {
  var block = document.getElementById("authorization-response");
  var response = JSON.parse(block.textContent);
  if (window.parent !== window) {
    window.parent.postMessage(response.data, response.targetOrigin);
  }
})();
