using Distill.Shared.Onnx;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Export;

/// <summary>The ONNX graph of a model of any supported family, from its configuration and weights (Hugging Face's names).</summary>
public static class OnnxGraphs
{
    /// <exception cref="NotSupportedException">A family without a graph.</exception>
    public static ModelProto Build(ModelConfig config, IReadOnlyDictionary<string, Tensor> parameters, bool includePast, string producerVersion) =>
        config switch
        {
            Gpt2Config gpt2 => GptOnnxGraph.Build(gpt2, parameters, includePast, producerVersion),
            LlamaConfig llama => LlamaOnnxGraph.Build(Shape(llama), parameters, includePast, producerVersion),
            _ => throw new NotSupportedException($"no ONNX graph for model_type '{config.ModelType}'"),
        };

    /// <summary>The graph's view of a Llama-family configuration, with the rotary frequencies the model computes.</summary>
    public static LlamaGraphShape Shape(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        using Tensor frequencies = RotaryScaling.From(config).InverseFrequencies(config.HeadDim);
        return new LlamaGraphShape
        {
            VocabSize = config.VocabSize,
            HiddenSize = config.HiddenSize,
            Layers = config.HiddenLayers,
            AttentionHeads = config.AttentionHeads,
            KeyValueHeads = config.KeyValueHeads,
            HeadDim = config.HeadDim,
            RmsNormEps = (float)config.RmsNormEps,
            InverseFrequencies = frequencies.to_type(ScalarType.Float32).data<float>().ToArray(),
            QkNorm = config.QkNorm,
            TiedHead = config.TiedHead,
        };
    }
}
