// Lab fixture: a client asset.
window.bbbLab = { asset: "app.js" };
