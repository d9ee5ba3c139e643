// Tell the server the browser's time zone, so times are shown on this person's clock until
// they choose a zone in their profile. The cookie holds only the zone's IANA name.
(function () {
  "use strict";
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  // IANA names (America/Argentina/Buenos_Aires, Etc/GMT+5) are safe cookie values as they are.
  if (!zone || !/^[A-Za-z0-9_+\-/]+$/.test(zone)) {
    return;
  }
  const cookie = `quest_time_zone=${zone}`;
  if (!document.cookie.split("; ").includes(cookie)) {
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${cookie}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }
})();
