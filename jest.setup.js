// A test that writes to the console fails: output belongs in assertions or in an injected logger.
for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
  console[method] = (...args) => {
    throw new Error(`console.${method} called during a test: ${args.map(String).join(' ')}`);
  };
}
