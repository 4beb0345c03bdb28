using Distill.StudentTrainer.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Model;

public sealed class LayerSubsetTests
{
    private static readonly Gpt2Config Teacher = TinyModels.Config with { LayerCount = 4 };

    [Fact]
    public void Keeping_every_layer_gives_the_teachers_logits()
    {
        using CausalLm teacher = TinyModels.Create(Teacher, seed: 3);
        using CausalLm student = LayerSubset.Cut(teacher, [0, 1, 2, 3]);
        using Tensor ids = TinyModels.RandomIds(2, 12, seed: 4);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(teacher.Forward(ids), student.Forward(ids)));
    }

    [Fact]
    public void Student_block_i_is_the_teachers_block_layers_i_and_the_rest_is_shared()
    {
        using CausalLm teacher = TinyModels.Create(Teacher, seed: 5);
        using CausalLm student = LayerSubset.Cut(teacher, [1, 3]);
        Assert.Equal(2, student.Config.Layers);
        var source = teacher.state_dict();
        var cut = student.state_dict();
        Assert.True(TinyModels.Same(source["transformer.h.1.attn.c_attn.weight"], cut["transformer.h.0.attn.c_attn.weight"]));
        Assert.True(TinyModels.Same(source["transformer.h.3.mlp.c_proj.bias"], cut["transformer.h.1.mlp.c_proj.bias"]));
        Assert.True(TinyModels.Same(source["transformer.wte.weight"], cut["transformer.wte.weight"]));
        Assert.True(TinyModels.Same(source["transformer.ln_f.weight"], cut["transformer.ln_f.weight"]));
        Assert.False(TinyModels.Same(source["transformer.h.0.attn.c_attn.weight"], cut["transformer.h.0.attn.c_attn.weight"]));
    }

    [Theory]
    [InlineData(new int[0], "names no layer")]
    [InlineData(new[] { 0, 4 }, "layer 4 is not a layer of the teacher, which has layers 0 to 3")]
    [InlineData(new[] { 2, 1 }, "increasing without repeats")]
    [InlineData(new[] { 1, 1 }, "increasing without repeats")]
    public void Layers_outside_the_teacher_or_out_of_order_are_refused(int[] layers, string message)
    {
        using CausalLm teacher = TinyModels.Create(Teacher, seed: 6);
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => LayerSubset.Cut(teacher, layers)).Message);
    }

    [Theory]
    [InlineData("0,2, 4", new[] { 0, 2, 4 })]
    [InlineData("3", new[] { 3 })]
    public void Layer_lists_parse(string text, int[] expected) =>
        Assert.Equal(expected, Distill.StudentTrainer.Cli.MakeStudentCommand.ParseLayers(text));

    [Theory]
    [InlineData("0,x")]
    [InlineData("-1")]
    public void Malformed_layer_lists_are_refused(string text) =>
        Assert.Contains("comma-separated layer indices", Assert.Throws<ArgumentException>(() => Distill.StudentTrainer.Cli.MakeStudentCommand.ParseLayers(text)).Message);
}
