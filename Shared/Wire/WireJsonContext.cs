using System.Text.Json.Serialization;

namespace Distill.Shared.Wire;

/// <summary>Source-generated JSON metadata for every wire contract.</summary>
[JsonSerializable(typeof(TopKRequest))]
[JsonSerializable(typeof(TopKResponse))]
[JsonSerializable(typeof(GenerateRequest))]
[JsonSerializable(typeof(GenerateResponse))]
[JsonSerializable(typeof(ModelList))]
public sealed partial class WireJsonContext : JsonSerializerContext;
