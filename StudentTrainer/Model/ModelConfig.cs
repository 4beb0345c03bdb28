using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Model;

/// <summary>
/// A Hugging Face <c>config.json</c> of one of the supported families, read into the record of its family
/// (<see cref="Gpt2Config"/>, <see cref="LlamaConfig"/>). Fields the model does not read are kept in
/// <see cref="Extra"/> and written back, so a saved folder carries the configuration it was loaded with.
/// </summary>
[JsonConverter(typeof(ModelConfigJsonConverter))]
public abstract record ModelConfig
{
    public const string FileName = "config.json";

    /// <summary>The model types this trainer builds.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["gpt2", "llama", "mistral", "qwen2", "qwen3"];

    /// <summary>Hugging Face's <c>model_type</c>, which picks the family.</summary>
    [JsonPropertyName("model_type")] public abstract string ModelType { get; init; }

    /// <summary>Rows of the token embedding (and of the LM head); at least the tokenizer's size.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }

    /// <summary>The dtype the weights are stored in: <c>float32</c>, <c>float16</c> or <c>bfloat16</c> (training is in float32).</summary>
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "float32";

    /// <summary>Every field of the file this record does not read, written back unchanged.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>Hugging Face's class name for this family, written as <c>architectures</c>.</summary>
    [JsonIgnore] public abstract string Architecture { get; }

    /// <summary>The longest sequence the model takes (GPT-2's <c>n_positions</c>, Llama's <c>max_position_embeddings</c>).</summary>
    [JsonIgnore] public abstract int ContextLength { get; }

    /// <summary>Number of transformer blocks.</summary>
    [JsonIgnore] public abstract int Layers { get; }

    /// <summary>Key/value heads per block (fewer than the query heads under grouped-query attention).</summary>
    [JsonIgnore] public abstract int KeyValueHeads { get; }

    /// <summary>Width of one attention head.</summary>
    [JsonIgnore] public abstract int HeadDim { get; }

    /// <summary>Whether the LM head shares the token embedding's weights.</summary>
    [JsonIgnore] public abstract bool TiedHead { get; }

    /// <summary>Throws, naming the field, when the configuration cannot make a model.</summary>
    public abstract void Validate();

    /// <summary>A model of this configuration with freshly initialised weights, as Hugging Face initialises the family.</summary>
    public abstract CausalLm CreateModel();

    /// <summary>This configuration with another vocabulary size (a student sized to its tokenizer).</summary>
    public ModelConfig WithVocabSize(int vocabSize) => this with { VocabSize = vocabSize };

    /// <summary>Equal when both write the same JSON (records would compare <see cref="Extra"/> by reference).</summary>
    public virtual bool Equals(ModelConfig? other) => other is not null && ToJson() == other.ToJson();

    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    /// <summary>Whether <paramref name="other"/> builds a model of the same shape (dtype and unread fields aside).</summary>
    public bool SameShape(ModelConfig other)
    {
        ArgumentNullException.ThrowIfNull(other);
        static string Canonical(ModelConfig c) => JsonSerializer.Serialize(c with { Extra = null, TorchDtype = "float32" });
        return Canonical(this) == Canonical(other);
    }

    /// <summary>The configuration as Hugging Face writes it (with <c>architectures</c>), indented.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ModelConfigJsonConverter.Indented);

    /// <summary>Reads a configuration: a Hugging Face <c>config.json</c>, or this project's older GPT form (see <see cref="Gpt2Config.FromLegacy"/>).</summary>
    /// <param name="source">Names the file in error messages.</param>
    /// <exception cref="InvalidDataException">Not a configuration, an unknown <c>model_type</c>, or a field out of range.</exception>
    public static ModelConfig Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new InvalidDataException($"{source} must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not valid JSON: {e.Message}", e);
        }
        try
        {
            ModelConfig config = ModelConfigJsonConverter.FromObject(root, source);
            config.Validate();
            return config;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary>Reads the configuration file at <paramref name="path"/> (see <see cref="Parse"/>).</summary>
    public static ModelConfig Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"no model configuration at '{path}'", path);
        return Parse(File.ReadAllText(path), path);
    }
}

/// <summary>Reads a configuration into the record of its <c>model_type</c> and writes it back with <c>architectures</c>.</summary>
public sealed class ModelConfigJsonConverter : JsonConverter<ModelConfig>
{
    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions Plain = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public override ModelConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonObject root = JsonNode.Parse(ref reader) as JsonObject ?? throw new JsonException("a model configuration must be a JSON object");
        return FromObject(root, "the model configuration");
    }

    public override void Write(Utf8JsonWriter writer, ModelConfig value, JsonSerializerOptions options)
    {
        JsonObject body = value switch
        {
            Gpt2Config gpt2 => Body(gpt2),
            LlamaConfig llama => Body(llama),
            _ => throw new NotSupportedException($"no JSON form for {value.GetType().Name}"),
        };
        body["architectures"] = new JsonArray(value.Architecture);
        var ordered = new JsonObject { ["architectures"] = body["architectures"]!.DeepClone(), ["model_type"] = value.ModelType };
        foreach ((string key, JsonNode? node) in body.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (key is not ("architectures" or "model_type")) ordered[key] = node?.DeepClone();
        ordered.WriteTo(writer, options);
    }

    private static JsonObject Body<T>(T value) where T : ModelConfig =>
        JsonSerializer.SerializeToNode(value, Plain) as JsonObject ?? throw new InvalidOperationException("a configuration serialised to a non-object");

    internal static ModelConfig FromObject(JsonObject root, string source)
    {
        if (!root.TryGetPropertyValue("model_type", out JsonNode? typeNode) || typeNode is null)
        {
            if (root.ContainsKey("context_length")) return Gpt2Config.FromLegacy(root.Deserialize<LegacyGptConfig>(Plain)!);
            throw new JsonException($"{source} has no model_type");
        }
        string type = typeNode.GetValue<string>();
        root.Remove("architectures");
        return type switch
        {
            "gpt2" => root.Deserialize<Gpt2Config>(Plain)!,
            "llama" or "mistral" or "qwen2" or "qwen3" => root.Deserialize<LlamaConfig>(Plain)!,
            _ => throw new JsonException($"model_type '{type}' is not supported (supported: {string.Join(", ", ModelConfig.SupportedTypes)})"),
        };
    }
}
