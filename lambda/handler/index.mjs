// The function the clients invoke through the interface endpoint.
export const handler = async () => ({
  statusCode: 200,
  body: JSON.stringify("Hello from Lambda!"),
});
