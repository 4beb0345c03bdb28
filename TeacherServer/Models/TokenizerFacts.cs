namespace Distill.TeacherServer.Models;

/// <summary>What <c>GET /v1/models</c> reports about a model folder's tokenizer.</summary>
public sealed record TokenizerFacts(string Kind, string Fingerprint, int? EosId);
