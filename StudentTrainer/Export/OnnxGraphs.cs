using Distill.Shared.Onnx;
using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Export;

/// <summary>The ONNX graph of a model of any supported family, from its configuration and weights (Hugging Face's names).</summary>
public static class OnnxGraphs
{
    /// <exception cref="NotSupportedException">No graph is written for the family yet.</exception>
    public static ModelProto Build(ModelConfig config, IReadOnlyDictionary<string, Tensor> parameters, bool includePast, string producerVersion) =>
        config switch
        {
            Gpt2Config gpt2 => GptOnnxGraph.Build(gpt2, parameters, includePast, producerVersion),
            _ => throw new NotSupportedException($"no ONNX graph for model_type '{config.ModelType}' yet"),
        };
}
