using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Model;

public sealed class ModelFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Saved_model_loads_with_the_same_config_and_logits()
    {
        var config = TinyModels.Config with { ResidualDropout = 0.1, EmbeddingDropout = 0.1 };
        using var model = TinyModels.Create(config);
        ModelFolder.Save(model, _folder);
        using var loaded = ModelFolder.Load(_folder);
        Assert.Equal(config, loaded.Config);
        using var ids = TinyModels.RandomIds(2, 8, seed: 9);
        using var expected = model.Forward(ids);
        using var actual = loaded.Forward(ids);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(expected, actual));
    }

    [Fact]
    public void Missing_or_malformed_files_give_clear_errors()
    {
        Assert.Throws<FileNotFoundException>(() => ModelFolder.Load(_folder));
        File.WriteAllText(Path.Combine(_folder, ModelConfig.FileName), "{ not json");
        Assert.Throws<InvalidDataException>(() => ModelFolder.Load(_folder));
        File.WriteAllText(Path.Combine(_folder, ModelConfig.FileName), """{"model_type": "gpt2", "vocab_size": 10, "n_embd": 30, "n_head": 4}""");
        Assert.Contains("n_embd (30) must be a positive multiple of n_head (4)", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(_folder)).Message);
        File.WriteAllText(Path.Combine(_folder, ModelConfig.FileName), """{"model_type": "gptj", "vocab_size": 10}""");
        Assert.Contains("model_type 'gptj' is not supported", Assert.Throws<InvalidDataException>(() => ModelFolder.Load(_folder)).Message);
    }

    [Fact]
    public void The_older_model_json_form_reads_as_the_gpt2_family()
    {
        string path = Path.Combine(_folder, LegacyCheckpoint.ConfigFile);
        File.WriteAllText(path, """{"vocab_size": 97, "context_length": 24, "n_embd": 32, "n_layer": 2, "n_head": 4, "dropout": 0, "bias": true}""");
        Assert.Equal(TinyModels.Config, ModelFolder.ReadConfig(_folder));
        File.WriteAllText(path, """{"vocab_size": 97, "context_length": 24, "n_embd": 32, "n_layer": 2, "n_head": 4, "dropout": 0, "bias": false}""");
        Assert.Contains("without biases", Assert.Throws<InvalidDataException>(() => ModelFolder.ReadConfig(_folder)).Message);
    }

    [Fact]
    public void The_default_student_file_in_models_is_the_student_configuration()
    {
        ModelConfig fromFile = ModelFolder.ResolveConfig(Path.Combine(Export.RepoRoot.Path, "models", "default-student.json"));
        Assert.Equal(Gpt2Config.Student, fromFile);
        Assert.InRange(fromFile.CreateModel().ParameterCount, 1_000_000, 1_500_000);
    }

    [Fact]
    public void Unknown_configuration_names_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ModelFolder.ResolveConfig("huge"));
        Assert.Same(Gpt2Config.Teacher, ModelFolder.ResolveConfig("Teacher"));
    }
}
