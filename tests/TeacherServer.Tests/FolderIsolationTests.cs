using Distill.Shared.Tokenization;
using Distill.TeacherServer.Models;
using Distill.TeacherServer.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Distill.TeacherServer.Tests;

/// <summary>A folder that fails to load is rejected alone; files a folder names stay inside it.</summary>
public sealed class FolderIsolationTests
{
    private const string DuplicateKeyConfig = """{"vocab_size":32,"n_positions":16,"n_positions":16,"n_embd":8,"n_head":2}""";

    /// <summary>Writes a tiny model folder with one defect; returns whether the server still serves it (a tokenizer never refuses a model).</summary>
    private static bool WriteDefective(string folder, string defect)
    {
        TinyOnnxModel.WriteFolder(folder);
        switch (defect)
        {
            case "config.json repeats a key":
                File.WriteAllText(Path.Combine(folder, "config.json"), DuplicateKeyConfig);
                return false;
            case "tokenizer.json has a string id":
                File.WriteAllText(Path.Combine(folder, "tokenizer.json"),
                    """{"model":{"type":"BPE","vocab":{"a":0},"merges":[]},"decoder":{"type":"ByteLevel"},"added_tokens":[{"id":"5","content":"<s>"}]}""");
                return true;
            case "tokenizer.json has a numeric model type":
                File.WriteAllText(Path.Combine(folder, "tokenizer.json"), """{"model":{"type":7,"vocab":{"a":0},"merges":[]},"decoder":{"type":"ByteLevel"}}""");
                return true;
            default:
                throw new ArgumentException(defect);
        }
    }

    [Theory]
    [InlineData("config.json repeats a key", "broken-config")]
    [InlineData("tokenizer.json has a string id", "broken-ids")]
    [InlineData("tokenizer.json has a numeric model type", "broken-type")]
    public async Task A_folder_that_fails_to_load_leaves_folders_added_later_served(string defect, string name)
    {
        var served = false;
        using var host = TeacherHost.Start(models => served = WriteDefective(Path.Combine(models, name), defect));
        if (served)
        {
            var model = await host.WaitForModelAsync(name);
            Assert.Equal(TokenizerKinds.Unknown, model!.TokenizerKind);
        }
        else
        {
            await TeacherHost.WaitForRejectionsAsync(name, 1);
        }

        // Added after the defective folder was scanned, and after it in scan order.
        TinyOnnxModel.WriteFolder(Path.Combine(host.ModelsFolder, "zz-good"), seed: 4);
        var good = await host.WaitForModelAsync("zz-good");

        Assert.Equal(TokenizerKinds.None, good!.TokenizerKind);
        Assert.Equal(served, await host.FindModelAsync(name) is not null);
    }

    [Fact]
    public async Task A_rejected_folder_is_logged_once_per_change_of_its_files()
    {
        const string name = "rejected-once";
        using var host = TeacherHost.Start(models => WriteDefective(Path.Combine(models, name), "config.json repeats a key"));
        await TeacherHost.WaitForRejectionsAsync(name, 1);
        var scanner = host.Services.GetRequiredService<ModelFolderScanner>();
        var before = TeacherHost.Rejections(name);

        await scanner.ScanAsync(CancellationToken.None);
        await scanner.ScanAsync(CancellationToken.None);
        Assert.Equal(before, TeacherHost.Rejections(name));

        File.WriteAllText(Path.Combine(host.ModelsFolder, name, "config.json"), DuplicateKeyConfig.Replace("\"n_head\":2", "\"n_head\":2,\"n_head\":2"));
        await scanner.ScanAsync(CancellationToken.None);
        Assert.Equal(before + 1, TeacherHost.Rejections(name));
    }

    [Theory]
    [InlineData("parent folder", "escape-parent")]
    [InlineData("absolute path", "escape-absolute")]
    [InlineData("through a subfolder", "escape-sub")]
    [InlineData("hidden file", "escape-hidden")]
    public async Task A_model_file_outside_the_folder_or_hidden_is_rejected(string where, string name)
    {
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, name);
            TinyOnnxModel.WriteFolder(folder);
            var outside = Path.Combine(models, ".outside-" + name);
            TinyOnnxModel.WriteFolder(outside, seed: 9);
            File.Copy(Path.Combine(outside, "model.onnx"), Path.Combine(folder, ".hidden.onnx"));
            Directory.CreateDirectory(Path.Combine(folder, "sub"));
            var modelFile = where switch
            {
                "parent folder" => $"../.outside-{name}/model.onnx",
                "absolute path" => Path.Combine(outside, "model.onnx"),
                "through a subfolder" => $"sub/../../.outside-{name}/model.onnx",
                _ => ".hidden.onnx",
            };
            File.WriteAllText(Path.Combine(folder, "teacher.json"), $$"""{"model_file":{{System.Text.Json.JsonSerializer.Serialize(modelFile)}}}""");
        });

        await TeacherHost.WaitForRejectionsAsync(name, 1);
        Assert.Null(await host.FindModelAsync(name));
    }

    [Theory]
    [InlineData("../.weights.data", "escape-data-parent")]
    [InlineData(".weights.data", "escape-data-hidden")]
    public async Task External_data_outside_the_folder_or_hidden_is_rejected(string location, string name)
    {
        using var host = TeacherHost.Start(models =>
        {
            var folder = Path.Combine(models, name);
            TinyOnnxModel.WriteFolder(folder);
            ModelFiles.MoveInitializersToExternalData(Path.Combine(folder, "model.onnx"), "weights.data");
            File.Move(Path.Combine(folder, "weights.data"), Path.GetFullPath(Path.Combine(folder, location)));
            var model = Distill.Shared.Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
            foreach (var entry in model.Graph.Initializer.SelectMany(t => t.ExternalData).Where(e => e.Key == "location"))
            {
                entry.Value = location;
            }
            File.WriteAllBytes(Path.Combine(folder, "model.onnx"), Google.Protobuf.MessageExtensions.ToByteArray(model));
        });

        await TeacherHost.WaitForRejectionsAsync(name, 1);
        Assert.Null(await host.FindModelAsync(name));
    }
}
