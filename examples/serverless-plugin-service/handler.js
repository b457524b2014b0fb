'use strict';

module.exports.hello = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ message: 'Hello from stsvault-demo', input: event }),
});
