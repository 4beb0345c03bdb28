using System.Text.Json;
using System.Text.Json.Serialization;

namespace Distill.StudentTrainer.Model;

// The Llama family (model_type "llama", "mistral", "qwen2", "qwen3"), as Hugging Face's LlamaForCausalLM and its
// relatives lay it out: RMSNorm, rotary position embeddings, grouped-query attention, a SwiGLU MLP, tied or untied
// LM head. The four types differ only in a few lines, chosen by the configuration: Qwen2 has q/k/v biases, Qwen3 an
// RMSNorm over each query and key head, Mistral a sliding window (refused unless it covers the whole context).
// Parameter names are Hugging Face's (model.embed_tokens.weight, model.layers.0.self_attn.q_proj.weight, …, lm_head.weight).

/// <summary>The <c>config.json</c> of a Llama, Mistral, Qwen2 or Qwen3 model, with Hugging Face's field names and defaults.</summary>
public sealed record LlamaConfig : ModelConfig
{
    private string _modelType = "llama";

    /// <summary><c>llama</c>, <c>mistral</c>, <c>qwen2</c> or <c>qwen3</c>.</summary>
    [JsonPropertyName("model_type")]
    public override string ModelType
    {
        get => _modelType;
        init => _modelType = value is "llama" or "mistral" or "qwen2" or "qwen3"
            ? value
            : throw new ArgumentException($"model_type '{value}' is not of the Llama family (llama, mistral, qwen2, qwen3)");
    }

    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 4096;

    /// <summary>Width of the SwiGLU MLP's gate and up projections.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 11008;

    /// <summary>Number of transformer blocks.</summary>
    [JsonPropertyName("num_hidden_layers")] public int HiddenLayers { get; init; } = 32;

    /// <summary>Query heads per block.</summary>
    [JsonPropertyName("num_attention_heads")] public int AttentionHeads { get; init; } = 32;

    /// <summary>Key/value heads per block (grouped-query attention); null means one per query head.</summary>
    [JsonPropertyName("num_key_value_heads")] public int? KeyValueHeadCount { get; init; }

    /// <summary>Width of one head; null means hidden_size / num_attention_heads.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDimension { get; init; }

    /// <summary>The MLP's gate activation: <c>silu</c> (SwiGLU) is the only one supported.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";

    /// <summary>The longest sequence the model takes.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Standard deviation of the normal initialisation of weights and embeddings.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;

    /// <summary>Epsilon of every RMSNorm.</summary>
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Whether the LM head shares the token embedding's weights (Llama: no; small Qwen and Llama 3.2 models: yes).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }

    /// <summary>Base of the rotary frequencies.</summary>
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;

    /// <summary>
    /// Rotary scaling: null, or an object with <c>rope_type</c> (or <c>type</c>) <c>default</c>, <c>linear</c> (<c>factor</c>)
    /// or <c>llama3</c> (<c>factor</c>, <c>low_freq_factor</c>, <c>high_freq_factor</c>, <c>original_max_position_embeddings</c>).
    /// </summary>
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }

    /// <summary>Biases on the q/k/v/o projections (Llama's flag; Qwen2 always has q/k/v biases and no o bias).</summary>
    [JsonPropertyName("attention_bias")] public bool AttentionBias { get; init; }

    /// <summary>Biases on the MLP's projections.</summary>
    [JsonPropertyName("mlp_bias")] public bool MlpBias { get; init; }

    /// <summary>Dropout on attention weights while training (accepted only as 0).</summary>
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; init; }

    /// <summary>
    /// Mistral's (and Qwen's, with use_sliding_window) attention window. Sliding-window attention is not implemented: the
    /// model takes no sequence longer than the window, where it equals full causal attention (see <see cref="ContextLength"/>).
    /// </summary>
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; init; }

    /// <summary>Qwen2/Qwen3: whether <see cref="SlidingWindow"/> applies at all.</summary>
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; init; }

    [JsonIgnore]
    public override string Architecture => ModelType switch
    {
        "mistral" => "MistralForCausalLM",
        "qwen2" => "Qwen2ForCausalLM",
        "qwen3" => "Qwen3ForCausalLM",
        _ => "LlamaForCausalLM",
    };

    /// <summary>max_position_embeddings, or a shorter sliding window where one applies: longer sequences are refused.</summary>
    [JsonIgnore] public override int ContextLength => SlidingWindowApplies ? Math.Min(MaxPositionEmbeddings, SlidingWindow!.Value) : MaxPositionEmbeddings;

    /// <summary>Mistral's window applies whenever it is set; Qwen's only with use_sliding_window.</summary>
    [JsonIgnore] public bool SlidingWindowApplies => SlidingWindow is not null && (ModelType == "mistral" || UseSlidingWindow == true);
    [JsonIgnore] public override int Layers => HiddenLayers;
    [JsonIgnore] public override int KeyValueHeads => KeyValueHeadCount ?? AttentionHeads;
    [JsonIgnore] public override int HeadDim => HeadDimension ?? HiddenSize / AttentionHeads;
    [JsonIgnore] public override bool TiedHead => TieWordEmbeddings;

    /// <summary>Qwen2 puts biases on q, k and v; Llama and Qwen3 where attention_bias says.</summary>
    [JsonIgnore] public bool QkvBias => ModelType == "qwen2" || AttentionBias;

    /// <summary>Llama's attention_bias also covers o_proj; Qwen2 never has one.</summary>
    [JsonIgnore] public bool OutputBias => ModelType != "qwen2" && AttentionBias;

    /// <summary>Qwen3's RMSNorm over each query and key head before the rotation.</summary>
    [JsonIgnore] public bool QkNorm => ModelType == "qwen3";

    public bool Equals(LlamaConfig? other) => base.Equals(other);

    public override int GetHashCode() => base.GetHashCode();

    public override void Validate()
    {
        Require(VocabSize >= 2, $"vocab_size must be at least 2, got {VocabSize}");
        Require(HiddenSize >= 1, $"hidden_size must be positive, got {HiddenSize}");
        Require(IntermediateSize >= 1, $"intermediate_size must be positive, got {IntermediateSize}");
        Require(HiddenLayers >= 1, $"num_hidden_layers must be positive, got {HiddenLayers}");
        Require(AttentionHeads >= 1, $"num_attention_heads must be positive, got {AttentionHeads}");
        Require(KeyValueHeads >= 1 && AttentionHeads % KeyValueHeads == 0,
            $"num_key_value_heads ({KeyValueHeads}) must divide num_attention_heads ({AttentionHeads})");
        Require(HeadDimension is not null || HiddenSize % AttentionHeads == 0,
            $"hidden_size ({HiddenSize}) must be a multiple of num_attention_heads ({AttentionHeads}) when head_dim is not given");
        Require(HeadDim >= 2 && HeadDim % 2 == 0, $"head_dim must be a positive even number, got {HeadDim}");
        Require(HiddenAct == "silu", $"hidden_act '{HiddenAct}' is not supported (silu)");
        Require(MaxPositionEmbeddings >= 1, $"max_position_embeddings must be positive, got {MaxPositionEmbeddings}");
        Require(RmsNormEps > 0, $"rms_norm_eps must be positive, got {RmsNormEps}");
        Require(RopeTheta > 0, $"rope_theta must be positive, got {RopeTheta}");
        Require(AttentionDropout == 0, $"attention_dropout {AttentionDropout} is not supported (0 only)");
        Require(!SlidingWindowApplies || SlidingWindow >= 1, $"sliding_window must be positive, got {SlidingWindow}");
        _ = RotaryScaling.From(this);
    }

    public override CausalLm CreateModel() => new LlamaForCausalLM(this);

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}
