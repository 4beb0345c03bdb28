using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

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

/// <summary>
/// The rotary frequencies a configuration asks for: <c>rope_theta</c> and <c>rope_scaling</c>, or transformers v5's
/// <c>rope_parameters</c> holding both. Types <c>default</c>, <c>linear</c> and <c>llama3</c>; any other is refused.
/// </summary>
public sealed record RotaryScaling
{
    /// <summary>The types this trainer computes.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["default", "linear", "llama3"];

    /// <summary><c>default</c>, <c>linear</c> or <c>llama3</c>.</summary>
    public string RopeType { get; init; } = "default";

    /// <summary>Base of the frequencies (<c>rope_theta</c>).</summary>
    public double Theta { get; init; } = 10000.0;

    /// <summary>How much longer the context is than the one the model was trained for (linear, llama3).</summary>
    public double Factor { get; init; } = 1.0;

    /// <summary>llama3: wavelengths longer than original_max_position_embeddings / this are divided by <see cref="Factor"/>.</summary>
    public double LowFreqFactor { get; init; }

    /// <summary>llama3: wavelengths shorter than original_max_position_embeddings / this are kept.</summary>
    public double HighFreqFactor { get; init; }

    /// <summary>llama3: the context of the unscaled model.</summary>
    public double OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>The scaling of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">An unsupported rope type, or a parameter it needs missing or out of range.</exception>
    public static RotaryScaling From(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        double theta = config.RopeTheta;
        JsonElement? parameters = config.RopeScaling is { ValueKind: JsonValueKind.Object } scaling ? scaling : null;
        if (config.Extra is { } extra && extra.TryGetValue("rope_parameters", out JsonElement v5) && v5.ValueKind == JsonValueKind.Object)
        {
            parameters = v5;
            if (Number(v5, "rope_theta") is { } v5Theta) theta = v5Theta;
        }
        if (parameters is not { } p)
            return new RotaryScaling { Theta = theta };

        string type = Text(p, "rope_type") ?? Text(p, "type") ?? "default";
        var result = type switch
        {
            "default" => new RotaryScaling { Theta = theta },
            "linear" => new RotaryScaling { RopeType = type, Theta = theta, Factor = Required(p, type, "factor") },
            "llama3" => new RotaryScaling
            {
                RopeType = type, Theta = theta, Factor = Required(p, type, "factor"),
                LowFreqFactor = Required(p, type, "low_freq_factor"), HighFreqFactor = Required(p, type, "high_freq_factor"),
                OriginalMaxPositionEmbeddings = Required(p, type, "original_max_position_embeddings"),
            },
            _ => throw new ArgumentException($"rope type '{type}' is not supported ({string.Join(", ", SupportedTypes)})"),
        };
        if (result.Factor <= 0) throw new ArgumentException($"rope_scaling factor must be positive, got {result.Factor}");
        if (type == "llama3" && !(result.HighFreqFactor > result.LowFreqFactor))
            throw new ArgumentException($"rope_scaling high_freq_factor ({result.HighFreqFactor}) must exceed low_freq_factor ({result.LowFreqFactor})");
        return result;
    }

    /// <summary>
    /// The (head_dim / 2) float32 inverse frequencies, computed with the same float32 operations in the same order as
    /// transformers' modeling_rope_utils (so they agree to the bit): 1 / θ^(2i/d), then the type's scaling.
    /// </summary>
    public Tensor InverseFrequencies(int headDim)
    {
        using var scope = NewDisposeScope();
        Tensor exponents = arange(Scalars.Of(0L), Scalars.Of((long)headDim), Scalars.Of(2L), ScalarType.Int64)
            .to_type(ScalarType.Float32).div(Scalars.Of((double)headDim));                       // (D/2)
        Tensor theta = tensor((float)Theta);                                                     // () float32, as transformers' Python float becomes
        Tensor inverse = theta.pow(exponents).reciprocal();                                      // (D/2)
        Tensor scaled = RopeType switch
        {
            "linear" => inverse.div(Scalars.Of(Factor)),
            "llama3" => Llama3(inverse),
            _ => inverse,
        };
        return scaled.MoveToOuterDisposeScope();
    }

    // Llama 3.1's scaling: long wavelengths divided by the factor, short ones kept, the band between interpolated.
    private Tensor Llama3(Tensor inverse)
    {
        double lowFreqWavelength = OriginalMaxPositionEmbeddings / LowFreqFactor;
        double highFreqWavelength = OriginalMaxPositionEmbeddings / HighFreqFactor;
        Tensor wavelength = inverse.reciprocal().mul(Scalars.Of(2 * Math.PI));
        Tensor longWaves = wavelength.gt(Scalars.Of(lowFreqWavelength));
        Tensor scaled = where(longWaves, inverse.div(Scalars.Of(Factor)), inverse);
        Tensor smooth = wavelength.reciprocal().mul(Scalars.Of(OriginalMaxPositionEmbeddings))
            .sub(Scalars.Of(LowFreqFactor)).div(Scalars.Of(HighFreqFactor - LowFreqFactor));
        Tensor smoothed = smooth.neg().add(Scalars.Of(1.0), Scalars.One).mul(scaled).div(Scalars.Of(Factor)).add(smooth.mul(scaled), Scalars.One);
        Tensor medium = wavelength.lt(Scalars.Of(highFreqWavelength)).logical_not().logical_and(longWaves.logical_not());
        return where(medium, smoothed, scaled);
    }

    private static string? Text(JsonElement o, string key) =>
        o.TryGetProperty(key, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

    private static double? Number(JsonElement o, string key) =>
        o.TryGetProperty(key, out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : null;

    private static double Required(JsonElement o, string type, string key) =>
        Number(o, key) ?? throw new ArgumentException($"rope type '{type}' needs rope_scaling.{key}");
}

/// <summary>Root-mean-square normalisation with a learned scale, computed in float32 whatever the input's dtype.</summary>
public sealed class LlamaRMSNorm : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Scalar _eps;

    public LlamaRMSNorm(int size, double eps) : base(nameof(LlamaRMSNorm))
    {
        weight = new Parameter(ones(size));
        _eps = Scalars.Of(eps);
        RegisterComponents();
    }

    /// <param name="x">(…, C)</param>
    /// <returns>(…, C)</returns>
    public override Tensor forward(Tensor x)
    {
        bool upcast = x.dtype != ScalarType.Float32;
        Tensor h = upcast ? x.to_type(ScalarType.Float32) : x;                                   // (…, C) float32
        Tensor variance = h.mul(h).mean([-1], keepdim: true);                                  // (…, 1)
        h = h.mul(variance.add(_eps, Scalars.One).rsqrt());                                                   // (…, C)
        return weight.mul(upcast ? h.to_type(x.dtype) : h);
    }
}

/// <summary>
/// Cosines and sines of the rotary embedding for given positions. Holds the inverse frequencies as a buffer that moves
/// with the model but is not saved (transformers does not save it either).
/// </summary>
public sealed class LlamaRotaryEmbedding : Module<Tensor, (Tensor Cos, Tensor Sin)>
{
    private const string Buffer = "inv_freq";

    public LlamaRotaryEmbedding(LlamaConfig config) : base(nameof(LlamaRotaryEmbedding))
    {
        RegisterComponents();
        register_buffer(Buffer, RotaryScaling.From(config).InverseFrequencies(config.HeadDim), persistent: false);
    }

    /// <param name="positionIds">(B or 1, T) int64</param>
    /// <returns>cos (B, T, D) and the rotation's signed sin (B, T, D): −sin on the first half, +sin on the second.</returns>
    public override (Tensor Cos, Tensor Sin) forward(Tensor positionIds)
    {
        Tensor inverse = get_buffer(Buffer)!;                                                    // (D/2)
        Tensor angles = positionIds.to_type(ScalarType.Float32).unsqueeze(-1).mul(inverse);    // (B, T, D/2)
        Tensor cos = angles.cos();
        Tensor sin = angles.sin();
        return (cat([cos, cos], -1), cat([sin.neg(), sin], -1));                                // (B, T, D)
    }
}

/// <summary>Causal self-attention with rotary positions, grouped key/value heads and optional q/k norms (Qwen3).</summary>
public sealed class LlamaAttention : Module<Tensor, Tensor>
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear o_proj;
    private readonly LlamaRMSNorm? q_norm;
    private readonly LlamaRMSNorm? k_norm;
    private readonly int _heads;
    private readonly int _keyValueHeads;
    private readonly int _headDim;

    public LlamaAttention(LlamaConfig config) : base(nameof(LlamaAttention))
    {
        _heads = config.AttentionHeads;
        _keyValueHeads = config.KeyValueHeads;
        _headDim = config.HeadDim;
        q_proj = Linear(config.HiddenSize, _heads * _headDim, hasBias: config.QkvBias);
        k_proj = Linear(config.HiddenSize, _keyValueHeads * _headDim, hasBias: config.QkvBias);
        v_proj = Linear(config.HiddenSize, _keyValueHeads * _headDim, hasBias: config.QkvBias);
        o_proj = Linear(_heads * _headDim, config.HiddenSize, hasBias: config.OutputBias);
        if (config.QkNorm)
        {
            q_norm = new LlamaRMSNorm(_headDim, config.RmsNormEps);
            k_norm = new LlamaRMSNorm(_headDim, config.RmsNormEps);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("call Forward with the rotary cos/sin");

    /// <param name="x">(B, T, C)</param>
    /// <param name="cos">(B or 1, T, D)</param>
    /// <param name="sin">(B or 1, T, D), signed as <see cref="LlamaRotaryEmbedding"/> returns it.</param>
    /// <param name="mask">(B or 1, 1, T, past+T) bool, or null for a plain causal mask without cache.</param>
    /// <returns>(B, T, C)</returns>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor q = q_proj.forward(x).view(b, t, _heads, _headDim);                            // (B, T, H, D)
        Tensor k = k_proj.forward(x).view(b, t, _keyValueHeads, _headDim);                    // (B, T, Hkv, D)
        Tensor v = v_proj.forward(x).view(b, t, _keyValueHeads, _headDim).transpose(1, 2);    // (B, Hkv, T, D)
        if (q_norm is not null && k_norm is not null)
        {
            q = q_norm.forward(q);
            k = k_norm.forward(k);
        }
        Tensor cosHeads = cos.unsqueeze(2), sinHeads = sin.unsqueeze(2);                       // (B, T, 1, D)
        q = Rotate(q, cosHeads, sinHeads).transpose(1, 2);                                     // (B, H, T, D)
        k = Rotate(k, cosHeads, sinHeads).transpose(1, 2);                                     // (B, Hkv, T, D)
        if (cache is not null) (k, v) = cache.Append(layer, k, v);                             // (B, Hkv, past+T, D)
        k = RepeatToQueryHeads(k);                                                             // (B, H, past+T, D)
        v = RepeatToQueryHeads(v);
        Tensor y = mask is null
            ? functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);              // (B, H, T, D)
        y = y.transpose(1, 2).reshape(b, t, _heads * _headDim);                                // (B, T, H·D)
        return o_proj.forward(y);                                                              // (B, T, C)
    }

    // x·cos + rotate_half(x)·sin, where rotate_half(x) = (−x₂, x₁): rolling x by half a head gives (x₂, x₁) and the
    // signed sin supplies the minus, so the products are the same numbers with one copy fewer.
    private Tensor Rotate(Tensor x, Tensor cos, Tensor signedSin) =>
        x.mul(cos).addcmul(x.roll(_headDim / 2, -1), signedSin, Scalars.One);

    // Each key/value head serves (query heads / key/value heads) consecutive query heads.
    private Tensor RepeatToQueryHeads(Tensor x)
    {
        if (_heads == _keyValueHeads) return x;
        long b = x.shape[0], s = x.shape[2];
        return x.unsqueeze(2).expand(b, _keyValueHeads, _heads / _keyValueHeads, s, _headDim).reshape(b, _heads, s, _headDim);
    }
}

/// <summary>The SwiGLU MLP: down(silu(gate(x)) · up(x)).</summary>
public sealed class LlamaMLP : Module<Tensor, Tensor>
{
    private readonly Linear gate_proj;
    private readonly Linear up_proj;
    private readonly Linear down_proj;

    public LlamaMLP(LlamaConfig config) : base(nameof(LlamaMLP))
    {
        gate_proj = Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        up_proj = Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        down_proj = Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        RegisterComponents();
    }

    /// <param name="x">(B, T, C)</param>
    public override Tensor forward(Tensor x)
    {
        Tensor gate = functional.silu(gate_proj.forward(x));                                   // (B, T, I)
        return down_proj.forward(gate.mul(up_proj.forward(x)));                                // (B, T, C)
    }
}

/// <summary>A pre-RMSNorm block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
public sealed class LlamaDecoderLayer : Module<Tensor, Tensor>
{
    private readonly LlamaRMSNorm input_layernorm;
    private readonly LlamaAttention self_attn;
    private readonly LlamaRMSNorm post_attention_layernorm;
    private readonly LlamaMLP mlp;

    public LlamaDecoderLayer(LlamaConfig config) : base(nameof(LlamaDecoderLayer))
    {
        input_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps);
        self_attn = new LlamaAttention(config);
        post_attention_layernorm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps);
        mlp = new LlamaMLP(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => throw new NotSupportedException("call Forward with the rotary cos/sin");

    /// <param name="x">(B, T, C)</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        x = x.add(self_attn.Forward(input_layernorm.forward(x), cos, sin, mask, cache, layer), Scalars.One);
        return x.add(mlp.forward(post_attention_layernorm.forward(x)), Scalars.One);
    }
}

/// <summary>The trunk (transformers' LlamaModel): token embedding, blocks, final RMSNorm, and the rotary embedding they share.</summary>
public sealed class LlamaModel : Module<Tensor, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<LlamaDecoderLayer> layers;
    private readonly LlamaRMSNorm norm;
    private readonly LlamaRotaryEmbedding rotary_emb;

    public LlamaModel(LlamaConfig config) : base(nameof(LlamaModel))
    {
        embed_tokens = Embedding(config.VocabSize, config.HiddenSize);
        layers = ModuleList(Enumerable.Range(0, config.HiddenLayers).Select(_ => new LlamaDecoderLayer(config)).ToArray());
        norm = new LlamaRMSNorm(config.HiddenSize, config.RmsNormEps);
        rotary_emb = new LlamaRotaryEmbedding(config);
        RegisterComponents();
    }

    /// <summary>The (V, C) token embedding, which a tied LM head shares.</summary>
    public Parameter TokenEmbedding => embed_tokens.weight!;

    public override Tensor forward(Tensor inputIds) => throw new NotSupportedException("call Forward with positions");

    /// <param name="inputIds">(B, T)</param>
    /// <param name="positionIds">(B or 1, T)</param>
    /// <param name="mask">(B or 1, 1, T, past+T) bool or null</param>
    /// <returns>hidden states (B, T, C)</returns>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache)
    {
        Tensor x = embed_tokens.forward(inputIds);                                             // (B, T, C)
        (Tensor cos, Tensor sin) = rotary_emb.forward(positionIds);                            // (B|1, T, D)
        if (cos.dtype != x.dtype) (cos, sin) = (cos.to_type(x.dtype), sin.to_type(x.dtype));
        for (int i = 0; i < layers.Count; i++)
            x = layers[i].Forward(x, cos, sin, mask, cache, i);
        return norm.forward(x);
    }
}

/// <summary>transformers' LlamaForCausalLM (and Mistral's, Qwen2's, Qwen3's): the trunk and an LM head, tied or not.</summary>
public sealed class LlamaForCausalLM : CausalLm
{
    private const string HeadName = "lm_head.weight";
    private readonly LlamaModel model;
    private readonly Linear? lm_head;
    private readonly LlamaConfig _config;

    public LlamaForCausalLM(LlamaConfig config) : base(nameof(LlamaForCausalLM))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings)
            lm_head = Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitialiseWeights();
    }

    public override ModelConfig Config => _config;

    protected override Tensor Logits(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache)
    {
        Tensor x = model.Forward(inputIds, positionIds, mask, cache);                                         // (B, T, C)
        return lm_head is null ? functional.linear(x, model.TokenEmbedding) : lm_head.forward(x);             // (B, T, V)
    }

    /// <summary>
    /// Older checkpoints carry each block's rotary <c>inv_freq</c> buffer, and a tied model's checkpoint may carry the
    /// head's copy of the embedding: both are ignored.
    /// </summary>
    public override string? CheckpointName(string name)
    {
        if (name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)) return null;
        if (lm_head is null && name == HeadName) return null;
        return name;
    }

    /// <summary>transformers' initialisation of the family: N(0, initializer_range) weights and embeddings, zero biases, RMSNorms 1.</summary>
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach ((string name, Parameter p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) nn.init.ones_(p);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) nn.init.zeros_(p);
            else nn.init.normal_(p, 0.0, _config.InitializerRange);
        }
    }
}
