using System.Text.Json;
using System.Text.Json.Serialization;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Export;

/// <summary>
/// The <c>config.json</c> of an exported model, in Hugging Face GPT-2 style, so tools that know GPT-2 folders
/// (and the TeacherServer) read it; what GPT-2 cannot express goes into <see cref="Distill"/>.
/// </summary>
public sealed record HuggingFaceGpt2Config
{
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "gpt2";
    [JsonPropertyName("architectures")] public IReadOnlyList<string> Architectures { get; init; } = ["GPT2LMHeadModel"];
    [JsonPropertyName("vocab_size")] public required int VocabSize { get; init; }
    [JsonPropertyName("n_positions")] public required int Positions { get; init; }
    [JsonPropertyName("n_ctx")] public required int Context { get; init; }
    [JsonPropertyName("n_embd")] public required int EmbeddingSize { get; init; }
    [JsonPropertyName("n_layer")] public required int Layers { get; init; }
    [JsonPropertyName("n_head")] public required int Heads { get; init; }
    [JsonPropertyName("n_inner")] public required int InnerSize { get; init; }
    [JsonPropertyName("bos_token_id")] public required int? BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public required int? EosTokenId { get; init; }
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;
    /// <summary>Hugging Face's "gelu" is the exact, erf-based GELU the model uses.</summary>
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu";
    [JsonPropertyName("resid_pdrop")] public required double ResidualDropout { get; init; }
    [JsonPropertyName("embd_pdrop")] public required double EmbeddingDropout { get; init; }
    [JsonPropertyName("attn_pdrop")] public required double AttentionDropout { get; init; }
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    [JsonPropertyName("use_cache")] public required bool UseCache { get; init; }
    [JsonPropertyName("torch_dtype")] public string TorchDtype { get; init; } = "float32";
    [JsonPropertyName("distill")] public required DistillExportInfo Distill { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    /// <summary>The configuration of <paramref name="config"/> exported with the tokenizer's end-of-text id.</summary>
    public static HuggingFaceGpt2Config From(GptConfig config, int? eosTokenId, DistillExportInfo distill)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(distill);
        return new HuggingFaceGpt2Config
        {
            VocabSize = config.VocabSize,
            Positions = config.ContextLength,
            Context = config.ContextLength,
            EmbeddingSize = config.EmbeddingSize,
            Layers = config.Layers,
            Heads = config.Heads,
            InnerSize = 4 * config.EmbeddingSize,
            BosTokenId = eosTokenId,
            EosTokenId = eosTokenId,
            ResidualDropout = config.Dropout,
            EmbeddingDropout = config.Dropout,
            AttentionDropout = 0.0, // the model has no dropout on attention weights
            UseCache = distill.PastKeyValues,
            Distill = distill,
        };
    }

    /// <summary>The model configuration this file describes: the inverse of <see cref="From"/> (not yet validated).</summary>
    public GptConfig ToGptConfig() => new()
    {
        VocabSize = VocabSize,
        ContextLength = Positions,
        EmbeddingSize = EmbeddingSize,
        Layers = Layers,
        Heads = Heads,
        Dropout = ResidualDropout,
        Bias = Distill.Bias,
    };

    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);
}
