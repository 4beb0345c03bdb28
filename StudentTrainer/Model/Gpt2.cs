using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Distill.StudentTrainer.Model;

// The GPT-2 family (model_type "gpt2"), as Hugging Face's GPT2LMHeadModel lays it out: learned positions, pre-LayerNorm
// blocks, Conv1D projections whose weights are stored (in, out), a GELU MLP, a final LayerNorm and an LM head tied to the
// token embedding. Parameter names are Hugging Face's (transformer.wte.weight, transformer.h.0.attn.c_attn.weight, …).
// The project's own teacher and default student are models of this family.

/// <summary>GPT-2's <c>config.json</c>, with Hugging Face's field names and defaults.</summary>
public sealed record Gpt2Config : ModelConfig
{
    private const string Type = "gpt2";

    /// <summary>Always <c>gpt2</c>.</summary>
    [JsonPropertyName("model_type")]
    public override string ModelType
    {
        get => Type;
        init
        {
            if (value != Type) throw new ArgumentException($"a GPT-2 configuration has model_type '{Type}', not '{value}'");
        }
    }

    /// <summary>Longest sequence the learned position table covers (1024 in GPT-2).</summary>
    [JsonPropertyName("n_positions")] public int Positions { get; init; } = 1024;

    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("n_embd")] public int EmbeddingSize { get; init; } = 768;

    /// <summary>Number of transformer blocks.</summary>
    [JsonPropertyName("n_layer")] public int LayerCount { get; init; } = 12;

    /// <summary>Attention heads per block; must divide <see cref="EmbeddingSize"/>.</summary>
    [JsonPropertyName("n_head")] public int Heads { get; init; } = 12;

    /// <summary>Width of the MLP's hidden layer; null means 4 × <see cref="EmbeddingSize"/>.</summary>
    [JsonPropertyName("n_inner")] public int? InnerSize { get; init; }

    /// <summary><c>gelu_new</c> (GPT-2's tanh approximation, also <c>gelu_pytorch_tanh</c>) or <c>gelu</c> (exact, erf).</summary>
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu_new";

    /// <summary>Dropout on each block's attention and MLP outputs while training.</summary>
    [JsonPropertyName("resid_pdrop")] public double ResidualDropout { get; init; } = 0.1;

    /// <summary>Dropout on the summed token and position embeddings while training.</summary>
    [JsonPropertyName("embd_pdrop")] public double EmbeddingDropout { get; init; } = 0.1;

    /// <summary>Dropout on attention weights: not applied here (it forces the unfused attention path, ~4× slower on the CPU).</summary>
    [JsonPropertyName("attn_pdrop")] public double AttentionDropout { get; init; } = 0.1;

    /// <summary>Epsilon of every LayerNorm.</summary>
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>Standard deviation of the normal initialisation of weights and embeddings.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;

    /// <summary>Scale attention scores by 1/√head_dim (GPT-2 does; false is refused).</summary>
    [JsonPropertyName("scale_attn_weights")] public bool ScaleAttentionWeights { get; init; } = true;

    /// <summary>Also scale by 1/(layer + 1) (a Mistral-CRFM variant; true is refused).</summary>
    [JsonPropertyName("scale_attn_by_inverse_layer_idx")] public bool ScaleByInverseLayer { get; init; }

    /// <summary>Upcast attention to float32 before the product (a training-stability variant; no effect in float32, accepted).</summary>
    [JsonPropertyName("reorder_and_upcast_attn")] public bool ReorderAndUpcastAttention { get; init; }

    /// <summary>GPT-2 always ties the LM head to the token embedding (false is refused).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;

    [JsonIgnore] public override string Architecture => "GPT2LMHeadModel";
    [JsonIgnore] public override int ContextLength => Positions;
    [JsonIgnore] public override int Layers => LayerCount;
    [JsonIgnore] public override int KeyValueHeads => Heads;
    [JsonIgnore] public override int HeadDim => EmbeddingSize / Heads;
    [JsonIgnore] public override bool TiedHead => true;
    [JsonIgnore] public int MlpSize => InnerSize ?? 4 * EmbeddingSize;

    /// <summary>The project's default teacher (<c>models/austen-gpt</c>): ~6.6M parameters.</summary>
    public static Gpt2Config Teacher { get; } = Project(vocab: 4096, context: 256, width: 256, layers: 7, heads: 8, dropout: 0.1);

    /// <summary>The project's default student: ~1.35M parameters, about a fifth of the teacher.</summary>
    public static Gpt2Config Student { get; } = Project(vocab: 4096, context: 256, width: 128, layers: 4, heads: 4, dropout: 0.0);

    /// <summary>A GPT-2 of the project's own kind: exact GELU, no attention dropout, the same dropout on embeddings and residuals.</summary>
    public static Gpt2Config Project(int vocab, int context, int width, int layers, int heads, double dropout) => new()
    {
        VocabSize = vocab, Positions = context, EmbeddingSize = width, LayerCount = layers, Heads = heads,
        ActivationFunction = "gelu", ResidualDropout = dropout, EmbeddingDropout = dropout, AttentionDropout = 0.0,
    };

    /// <summary>The GPT-2 an older <c>model.json</c> of this project describes (vocab_size, context_length, n_embd, n_layer, n_head, dropout, bias).</summary>
    /// <exception cref="ArgumentException">The old form asks for a model without biases, which is not a GPT-2.</exception>
    internal static Gpt2Config FromLegacy(LegacyGptConfig legacy)
    {
        if (!legacy.Bias)
            throw new ArgumentException("\"bias\": false describes a GPT without biases, which the gpt2 family does not have");
        return Project(legacy.VocabSize, legacy.ContextLength, legacy.EmbeddingSize, legacy.Layers, legacy.Heads, legacy.Dropout);
    }

    public bool Equals(Gpt2Config? other) => base.Equals(other);

    public override int GetHashCode() => base.GetHashCode();

    public override void Validate()
    {
        Require(VocabSize >= 2, $"vocab_size must be at least 2, got {VocabSize}");
        Require(Positions >= 1, $"n_positions must be positive, got {Positions}");
        Require(LayerCount >= 1, $"n_layer must be positive, got {LayerCount}");
        Require(Heads >= 1 && EmbeddingSize >= 1 && EmbeddingSize % Heads == 0,
            $"n_embd ({EmbeddingSize}) must be a positive multiple of n_head ({Heads})");
        Require(MlpSize >= 1, $"n_inner must be positive, got {InnerSize}");
        foreach ((string name, double p) in new[] { ("resid_pdrop", ResidualDropout), ("embd_pdrop", EmbeddingDropout), ("attn_pdrop", AttentionDropout) })
            Require(p is >= 0 and < 1, $"{name} must be in [0, 1), got {p}");
        Require(ActivationFunction is "gelu" or "gelu_new" or "gelu_pytorch_tanh",
            $"activation_function '{ActivationFunction}' is not supported (gelu, gelu_new, gelu_pytorch_tanh)");
        Require(LayerNormEpsilon > 0, $"layer_norm_epsilon must be positive, got {LayerNormEpsilon}");
        Require(ScaleAttentionWeights, "scale_attn_weights false is not supported");
        Require(!ScaleByInverseLayer, "scale_attn_by_inverse_layer_idx true is not supported");
        Require(TieWordEmbeddings, "tie_word_embeddings false is not supported for gpt2");
    }

    public override CausalLm CreateModel() => new Gpt2LMHeadModel(this);

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}

/// <summary>The <c>model.json</c> form of this project's GPT before it became the gpt2 family; read, never written.</summary>
internal sealed record LegacyGptConfig
{
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 4096;
    [JsonPropertyName("context_length")] public int ContextLength { get; init; } = 256;
    [JsonPropertyName("n_embd")] public int EmbeddingSize { get; init; } = 128;
    [JsonPropertyName("n_layer")] public int Layers { get; init; } = 4;
    [JsonPropertyName("n_head")] public int Heads { get; init; } = 4;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("bias")] public bool Bias { get; init; } = true;
}

/// <summary>Hugging Face's Conv1D: a linear map whose weight is stored (in, out), as GPT-2's checkpoints store it.</summary>
public sealed class Conv1D : Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    public Conv1D(int inputs, int outputs) : base(nameof(Conv1D))
    {
        weight = new Parameter(empty(inputs, outputs));
        bias = new Parameter(zeros(outputs));
        RegisterComponents();
    }

    /// <summary>The (in, out) weight.</summary>
    public Parameter Weight => weight;

    /// <param name="x">(…, in)</param>
    /// <returns>(…, out)</returns>
    public override Tensor forward(Tensor x)
    {
        return functional.linear(x, weight.t(), bias);
    }
}

/// <summary>Multi-head causal self-attention with GPT-2's fused query/key/value projection.</summary>
public sealed class Gpt2Attention : Module<Tensor, Tensor>
{
    private readonly Conv1D c_attn;
    private readonly Conv1D c_proj;
    private readonly Dropout resid_dropout;
    private readonly int _heads;
    private readonly int _width;

    public Gpt2Attention(Gpt2Config config) : base(nameof(Gpt2Attention))
    {
        _heads = config.Heads;
        _width = config.EmbeddingSize;
        c_attn = new Conv1D(_width, 3 * _width);
        c_proj = new Conv1D(_width, _width);
        resid_dropout = Dropout(config.ResidualDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, mask: null, cache: null, layer: 0);

    /// <param name="x">(B, T, C)</param>
    /// <param name="mask">(B or 1, 1, T, past+T) bool, or null for a plain causal mask without cache.</param>
    /// <returns>(B, T, C)</returns>
    public Tensor Forward(Tensor x, Tensor? mask, KvCache? cache, int layer)
    {
        long b = x.shape[0], t = x.shape[1];
        Tensor[] qkv = c_attn.forward(x).split(_width, dim: 2);                             // 3 × (B, T, C)
        Tensor q = qkv[0].view(b, t, _heads, -1).transpose(1, 2);                           // (B, H, T, D)
        Tensor k = qkv[1].view(b, t, _heads, -1).transpose(1, 2);
        Tensor v = qkv[2].view(b, t, _heads, -1).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layer, k, v);                           // (B, H, past+T, D)
        Tensor y = mask is null
            ? functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);                // (B, H, T, D)
        y = y.transpose(1, 2).contiguous().view(b, t, _width);                               // (B, T, C)
        return resid_dropout.forward(c_proj.forward(y));
    }
}

/// <summary>GPT-2's MLP: C → n_inner → GELU → C.</summary>
public sealed class Gpt2Mlp : Module<Tensor, Tensor>
{
    private readonly Conv1D c_fc;
    private readonly Conv1D c_proj;
    private readonly Dropout dropout;
    private readonly bool _tanhGelu;

    public Gpt2Mlp(Gpt2Config config) : base(nameof(Gpt2Mlp))
    {
        c_fc = new Conv1D(config.EmbeddingSize, config.MlpSize);
        c_proj = new Conv1D(config.MlpSize, config.EmbeddingSize);
        dropout = Dropout(config.ResidualDropout);
        _tanhGelu = config.ActivationFunction != "gelu";
        RegisterComponents();
    }

    /// <param name="x">(B, T, C)</param>
    public override Tensor forward(Tensor x)
    {
        Tensor hidden = c_fc.forward(x);                                                      // (B, T, n_inner)
        hidden = _tanhGelu ? functional.gelu(hidden, TorchSharp.Modules.GELU.Approximate.tanh) : functional.gelu(hidden);
        return dropout.forward(c_proj.forward(hidden));
    }
}

/// <summary>A pre-LayerNorm block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
public sealed class Gpt2Block : Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly Gpt2Attention attn;
    private readonly LayerNorm ln_2;
    private readonly Gpt2Mlp mlp;

    public Gpt2Block(Gpt2Config config) : base(nameof(Gpt2Block))
    {
        ln_1 = LayerNorm(config.EmbeddingSize, eps: config.LayerNormEpsilon);
        attn = new Gpt2Attention(config);
        ln_2 = LayerNorm(config.EmbeddingSize, eps: config.LayerNormEpsilon);
        mlp = new Gpt2Mlp(config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, mask: null, cache: null, layer: 0);

    /// <param name="x">(B, T, C)</param>
    public Tensor Forward(Tensor x, Tensor? mask, KvCache? cache, int layer)
    {
        x = x.add(attn.Forward(ln_1.forward(x), mask, cache, layer), Scalars.One);
        return x.add(mlp.forward(ln_2.forward(x)), Scalars.One);
    }
}

/// <summary>GPT-2's trunk (Hugging Face's GPT2Model): embeddings, blocks, final LayerNorm.</summary>
public sealed class Gpt2Model : Module<Tensor, Tensor>
{
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly Dropout drop;
    private readonly ModuleList<Gpt2Block> h;
    private readonly LayerNorm ln_f;

    public Gpt2Model(Gpt2Config config) : base(nameof(Gpt2Model))
    {
        wte = Embedding(config.VocabSize, config.EmbeddingSize);
        wpe = Embedding(config.Positions, config.EmbeddingSize);
        drop = Dropout(config.EmbeddingDropout);
        h = ModuleList(Enumerable.Range(0, config.LayerCount).Select(_ => new Gpt2Block(config)).ToArray());
        ln_f = LayerNorm(config.EmbeddingSize, eps: config.LayerNormEpsilon);
        RegisterComponents();
    }

    /// <summary>The (V, C) token embedding, which the LM head shares.</summary>
    public Parameter TokenEmbedding => wte.weight!;

    public override Tensor forward(Tensor inputIds) => throw new NotSupportedException("call Forward with positions");

    /// <param name="inputIds">(B, T)</param>
    /// <param name="positionIds">(B or 1, T)</param>
    /// <param name="mask">(B or 1, 1, T, past+T) bool or null</param>
    /// <returns>hidden states (B, T, C)</returns>
    public Tensor Forward(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache)
    {
        Tensor x = drop.forward(wte.forward(inputIds).add(wpe.forward(positionIds), Scalars.One)); // (B, T, C)
        for (int i = 0; i < h.Count; i++)
            x = h[i].Forward(x, mask, cache, i);
        return ln_f.forward(x);
    }
}

/// <summary>Hugging Face's GPT2LMHeadModel: the trunk and an LM head tied to the token embedding.</summary>
public sealed class Gpt2LMHeadModel : CausalLm
{
    private const string Prefix = "transformer.";
    private readonly Gpt2Model transformer;
    private readonly Gpt2Config _config;

    public Gpt2LMHeadModel(Gpt2Config config) : base(nameof(Gpt2LMHeadModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        transformer = new Gpt2Model(config);
        RegisterComponents();
        InitialiseWeights();
    }

    public override ModelConfig Config => _config;

    protected override Tensor Logits(Tensor inputIds, Tensor positionIds, Tensor? mask, KvCache? cache)
    {
        Tensor x = transformer.Forward(inputIds, positionIds, mask, cache);                                   // (B, T, C)
        return functional.linear(x, transformer.TokenEmbedding);                                              // (B, T, V)
    }

    /// <summary>
    /// The original GPT-2 checkpoint names its tensors without <c>transformer.</c>; older ones carry the attention
    /// buffers <c>attn.bias</c> and <c>attn.masked_bias</c>, and some the tied <c>lm_head.weight</c>: those are ignored.
    /// </summary>
    public override string? CheckpointName(string name)
    {
        if (name == "lm_head.weight" || name.EndsWith(".attn.bias", StringComparison.Ordinal) || name.EndsWith(".attn.masked_bias", StringComparison.Ordinal))
            return null;
        return name.StartsWith(Prefix, StringComparison.Ordinal) ? name : Prefix + name;
    }

    /// <summary>
    /// Hugging Face's GPT-2 initialisation: N(0, initializer_range) weights and embeddings, zero biases, LayerNorms 1 and 0,
    /// the residual projections (<c>c_proj</c>) N(0, initializer_range/√(2L)). Each (in, out) block weight is drawn as its
    /// (out, in) transpose, the order this project's earlier GPT drew in; the numbers still differ from that GPT's,
    /// whose linear layers also drew weights when built, so the draw order only keeps today's runs reproducible.
    /// </summary>
    private void InitialiseWeights()
    {
        using var noGrad = no_grad();
        double std = _config.InitializerRange;
        double residualStd = std / Math.Sqrt(2.0 * _config.LayerCount);
        foreach ((string name, Parameter p) in named_parameters())
        {
            if (name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith(Prefix + "ln_f", StringComparison.Ordinal))
                continue; // LayerNorm keeps weight 1, bias 0.
            if (name.EndsWith(".bias", StringComparison.Ordinal))
            {
                nn.init.zeros_(p);
                continue;
            }
            double deviation = name.EndsWith("c_proj.weight", StringComparison.Ordinal) ? residualStd : std;
            if (name.Contains(".h.", StringComparison.Ordinal))
            {
                using Tensor drawn = empty(p.shape[1], p.shape[0]);
                nn.init.normal_(drawn, 0.0, deviation);
                p.copy_(drawn.t());
            }
            else
            {
                nn.init.normal_(p, 0.0, deviation);
            }
        }
    }
}
