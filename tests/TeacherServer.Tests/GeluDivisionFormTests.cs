using Distill.Shared.Onnx;
using Distill.TeacherServer.Onnx;
using Distill.TeacherServer.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using DataType = Distill.Shared.Onnx.TensorProto.Types.DataType;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// The exporter's GELU, <c>x · (1/√2)</c> into Erf, is rewritten as <c>x / √2</c>: ORT then fuses each GELU with its bias
/// Add into one node, the logits stay those of the file, and products that do not feed an Erf are left alone.
/// </summary>
public sealed class GeluDivisionFormTests(ExportedModels exported) : IClassFixture<ExportedModels>
{
    private const int Layers = 2;

    private ModelProto Load() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(exported.Plain, "model.onnx")));

    [Fact]
    public void Each_layers_product_into_erf_becomes_a_division_and_the_unused_constant_goes()
    {
        var model = Load();

        Assert.Equal(Layers, GeluDivisionForm.Apply(model));
        var divisions = model.Graph.Node.Where(n => n.OpType == "Div" && n.Input[1] == GeluDivisionForm.SqrtTwoName).ToArray();
        Assert.Equal(Layers, divisions.Length);
        Assert.All(divisions, d => Assert.Contains(model.Graph.Node, n => n.OpType == "Erf" && n.Input[0] == d.Output[0]));
        Assert.DoesNotContain(model.Graph.Initializer, i => i.Name == "const.sqrt_half");
        Assert.Equal(0, GeluDivisionForm.Apply(model));
    }

    [Fact]
    public void Onnx_runtime_fuses_the_rewritten_gelu_and_not_the_exported_one()
    {
        Assert.Equal((0, Layers), GelusAndErfs(Load()));

        var model = Load();
        GeluDivisionForm.Apply(model);
        Assert.Equal((Layers, 0), GelusAndErfs(model));
    }

    [Fact]
    public void The_logits_stay_those_of_the_exported_graph()
    {
        var original = Load();
        var rewritten = Load();
        GeluDivisionForm.Apply(rewritten);

        var expected = Logits(original);
        var actual = Logits(rewritten);

        Assert.Equal(expected.Length, actual.Length);
        Assert.All(expected.Zip(actual), pair => Assert.InRange(Math.Abs(pair.First - pair.Second), 0f, 1e-5f));
    }

    [Fact]
    public void Products_in_both_branches_of_the_split_past_graph_are_rewritten()
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(exported.Optimum, "model.onnx")));
        Assert.NotNull(SplitPastGraph.Apply(model));

        Assert.Equal(2 * Layers, GeluDivisionForm.Apply(model));
        Assert.Single(model.Graph.Initializer, i => i.Name == GeluDivisionForm.SqrtTwoName);
    }

    [Fact]
    public void A_product_by_the_same_constant_that_feeds_anything_but_erf_is_left_alone()
    {
        var model = Load();
        var erf = model.Graph.Node.First(n => n.OpType == "Erf");
        var product = model.Graph.Node.Single(n => n.Output[0] == erf.Input[0]);
        model.Graph.Node.Add(OnnxProtos.Node("Identity", "also_read", [product.Output[0]], ["also_read"]));
        model.Graph.Output.Add(OnnxProtos.TensorValueInfoOfAnyShape("also_read", DataType.Float));

        Assert.Equal(Layers - 1, GeluDivisionForm.Apply(model));
        Assert.Equal("Mul", product.OpType);
        Assert.Contains(model.Graph.Initializer, i => i.Name == "const.sqrt_half");
    }

    /// <summary>Fused GELU nodes and Erf nodes in the graph ORT optimises the model into.</summary>
    private static (int Gelus, int Erfs) GelusAndErfs(ModelProto model)
    {
        var path = Path.Combine(Path.GetTempPath(), $"distill-gelu-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = path })
            using (new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options))
            {
            }
            var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            return (optimized.Graph.Node.Count(n => n.OpType is "Gelu" or "BiasGelu"), optimized.Graph.Node.Count(n => n.OpType == "Erf"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private float[] Logits(ModelProto model)
    {
        const int batch = 2, length = 12;
        var ids = Enumerable.Range(0, batch * length).Select(i => (long)(i * 53 % exported.VocabSize)).ToArray();
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model));
        var names = session.InputMetadata.Keys.ToArray();
        var values = names.Select(name => name switch
        {
            "input_ids" => OrtValue.CreateTensorValueFromMemory(ids, [batch, length]),
            "attention_mask" => OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, batch * length).ToArray(), [batch, length]),
            "position_ids" => OrtValue.CreateTensorValueFromMemory(Enumerable.Range(0, batch * length).Select(i => (long)(i % length)).ToArray(), [batch, length]),
            _ => throw new InvalidOperationException($"unexpected input {name}"),
        }).ToArray();
        try
        {
            using var results = session.Run(new RunOptions(), names, values, ["logits"]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var value in values)
            {
                value.Dispose();
            }
        }
    }
}
