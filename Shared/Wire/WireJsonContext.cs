using System.Text.Json.Serialization;

namespace Distill.Shared.Wire;

/// <summary>Source-generated JSON metadata for every wire contract. NaN and ±Infinity travel as "NaN", "Infinity", "-Infinity".</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(TopKRequest))]
[JsonSerializable(typeof(TopKResponse))]
[JsonSerializable(typeof(GenerateRequest))]
[JsonSerializable(typeof(GenerateResponse))]
[JsonSerializable(typeof(ModelList))]
public sealed partial class WireJsonContext : JsonSerializerContext;
