//! Procedural landscapes: sky gradient, sun or moon, stars, aurora, clouds, layered mountains
//! or hills and an optional lake with reflections. Rendering is deterministic: the same scene
//! and size always give the same pixels, and any size shows the same picture.

/// An sRGB color with components in 0..=1.
pub(crate) type Rgb = [f32; 3];

/// A landscape to render.
#[derive(Debug, Clone)]
pub(crate) struct Scene {
    pub seed: u32,
    /// Sky colors at the top, the middle and the horizon.
    pub sky: [Rgb; 3],
    pub celestial: Option<Celestial>,
    /// Stars per million pixels of a 1200×800 image (0 for none).
    pub star_density: f32,
    pub aurora: Option<Rgb>,
    pub clouds: Option<Rgb>,
    /// Layers from the farthest to the nearest.
    pub layers: Vec<Layer>,
    pub lake: Option<Lake>,
    /// Color distant things fade into.
    pub haze: Rgb,
}

/// The sun or the moon.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Celestial {
    /// Center, as fractions of width and height.
    pub x: f32,
    pub y: f32,
    /// Radius as a fraction of height.
    pub radius: f32,
    pub color: Rgb,
    /// Strength of the halo around the disc.
    pub glow: f32,
    pub is_moon: bool,
}

/// Shape of a land layer's skyline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relief {
    /// Sharp ridged peaks.
    Peaks,
    /// Smooth rolling hills or dunes.
    Hills,
}

/// One band of land.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layer {
    pub relief: Relief,
    /// Lowest point of the skyline, as a fraction of height from the top.
    pub base: f32,
    /// How far the skyline rises above `base`, as a fraction of height.
    pub height: f32,
    /// Features across the width.
    pub frequency: f32,
    pub color: Rgb,
    pub snow: bool,
    /// Drawn in front of the lake (a shore) instead of behind it.
    pub foreground: bool,
}

/// Still water from `level` (fraction of height) down, reflecting what is above it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lake {
    pub level: f32,
    pub tint: Rgb,
}

/// Renders the scene as `width × height` RGB bytes, row by row.
pub(crate) fn render(scene: &Scene, width: u32, height: u32) -> Vec<u8> {
    let canvas = Canvas::new(scene, width, height);
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let color = canvas.pixel(x, y);
            let dither = (hash2(scene.seed ^ 0x9e37, x as i32, y as i32) - 0.5) / 255.0;
            for channel in color {
                pixels.push(((channel + dither).clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
    }
    pixels
}

/// A scene prepared for one output size: skylines are computed once per column.
struct Canvas<'a> {
    scene: &'a Scene,
    width: u32,
    height: u32,
    /// For each layer, for each column: the skyline's y as a fraction of height.
    skylines: Vec<Vec<f32>>,
    /// For each layer, for each column: lighting from the skyline's slope (-1..1).
    slopes: Vec<Vec<f32>>,
}

impl<'a> Canvas<'a> {
    fn new(scene: &'a Scene, width: u32, height: u32) -> Self {
        let aspect = width as f32 / height as f32;
        let mut skylines = Vec::with_capacity(scene.layers.len());
        let mut slopes = Vec::with_capacity(scene.layers.len());
        for (index, layer) in scene.layers.iter().enumerate() {
            let seed = scene
                .seed
                .wrapping_mul(31)
                .wrapping_add(index as u32 * 7919);
            let skyline: Vec<f32> = (0..width)
                .map(|x| {
                    layer.base - layer.height * relief(layer, seed, (x as f32 + 0.5) / width as f32)
                })
                .collect();
            let slope = lighting(&skyline, width, aspect);
            skylines.push(skyline);
            slopes.push(slope);
        }
        Self {
            scene,
            width,
            height,
            skylines,
            slopes,
        }
    }

    fn pixel(&self, x: u32, y: u32) -> Rgb {
        let v = (y as f32 + 0.5) / self.height as f32;
        let mut color = match self.scene.lake {
            Some(lake) if v > lake.level => self.water(x, v, lake),
            _ => self.landscape(x, y as f32, v, false),
        };
        for (index, layer) in self.scene.layers.iter().enumerate() {
            if layer.foreground {
                color = self.paint_layer(index, x, v, color);
            }
        }
        vignette(color, (x as f32 + 0.5) / self.width as f32, v)
    }

    /// Sky and background layers (not the foreground shore).
    fn landscape(&self, x: u32, y: f32, v: f32, reflected: bool) -> Rgb {
        let u = (x as f32 + 0.5) / self.width as f32;
        let mut color = self.sky(u, v, x, y, reflected);
        for (index, layer) in self.scene.layers.iter().enumerate() {
            if !layer.foreground {
                color = self.paint_layer(index, x, v, color);
            }
        }
        color
    }

    fn sky(&self, u: f32, v: f32, x: u32, y: f32, reflected: bool) -> Rgb {
        let scene = self.scene;
        let [top, middle, horizon] = scene.sky;
        let mut color = if v < 0.45 {
            mix(top, middle, smoothstep(0.0, 0.45, v))
        } else {
            mix(middle, horizon, smoothstep(0.45, 0.8, v))
        };
        if let Some(clouds) = scene.clouds {
            let band =
                (-((v - 0.2 - 0.05 * noise(scene.seed ^ 0xc10d, u * 3.0)) / 0.1).powi(2)).exp();
            let aspect = self.width as f32 / self.height as f32;
            let puffs = smoothstep(
                0.5,
                0.8,
                fbm2(scene.seed ^ 0xc1, u * aspect * 4.0, v * 16.0, 4),
            );
            color = mix(color, clouds, band * puffs * 0.8);
        }
        if let Some(aurora) = scene.aurora {
            let center = 0.28 + 0.14 * (noise(scene.seed ^ 0xa0, u * 3.0) - 0.5);
            let above = (center - v).max(0.0) / 0.16;
            let below = (v - center).max(0.0) / 0.035;
            let curtain = (-(above * above) - below * below).exp();
            let rays = 0.45 + 0.55 * noise(scene.seed ^ 0xa1, u * 55.0 + v * 4.0);
            let tint = mix(aurora, [0.55, 0.35, 0.85], smoothstep(0.0, 1.4, above));
            color = add(color, scale(tint, curtain * rays * 0.75));
        }
        if scene.star_density > 0.0 && !reflected {
            let reference_pixels = 1200.0 * 800.0;
            let chance = scene.star_density * 1e-6 * reference_pixels
                / (self.width as f32 * self.height as f32);
            let roll = hash2(scene.seed ^ 0x57a5, x as i32, y as i32);
            if roll < chance {
                let twinkle = 0.5 + 0.5 * hash2(scene.seed ^ 0x7, x as i32, y as i32);
                let fade = 1.0 - smoothstep(0.35, 0.75, v);
                color = mix(color, [1.0, 0.98, 0.92], twinkle * fade);
            }
        }
        if let Some(body) = scene.celestial {
            color = self.celestial(color, body, u, v);
        }
        color
    }

    fn celestial(&self, color: Rgb, body: Celestial, u: f32, v: f32) -> Rgb {
        let aspect = self.width as f32 / self.height as f32;
        let dx = (u - body.x) * aspect;
        let dy = v - body.y;
        let distance = (dx * dx + dy * dy).sqrt() / body.radius;
        let halo = body.glow * (-(distance - 1.0).max(0.0) * 0.9).exp();
        let mut color = add(color, scale(body.color, halo * 0.35));
        if distance < 1.0 {
            let edge = smoothstep(1.0, 0.9, distance);
            let mut disc = body.color;
            if body.is_moon {
                let crater = fbm2(
                    self.scene.seed ^ 0x3007,
                    dx * 4.0 / body.radius,
                    dy * 4.0 / body.radius,
                    3,
                );
                disc = scale(disc, 0.8 + 0.2 * crater);
            }
            color = mix(color, disc, edge);
        }
        color
    }

    fn paint_layer(&self, index: usize, x: u32, v: f32, below: Rgb) -> Rgb {
        let skyline = self.skylines[index][x as usize];
        if v < skyline {
            return below;
        }
        let layer = &self.scene.layers[index];
        let depth = v - skyline;
        let pixel = 1.0 / self.height as f32;
        let mut color = mix(
            mix(layer.color, self.scene.haze, 0.18),
            scale(layer.color, 0.82),
            smoothstep(0.0, 0.3, depth),
        );
        // Light follows the skyline's slope down and to the side, so whole faces are lit.
        let along_face = (x as f32 + depth * self.height as f32 * 0.7) as usize;
        let light = self.slopes[index][along_face.min(self.width as usize - 1)];
        let ridge_light = 1.0 + 0.2 * light * (1.0 - smoothstep(0.0, 0.4, depth));
        if layer.relief == Relief::Peaks {
            color = scale(color, ridge_light);
        }
        if layer.snow {
            let u = x as f32 / self.width as f32;
            let snowline = layer.base - layer.height * 0.5
                + 0.04 * (noise(self.scene.seed ^ 0x5a1, u * 25.0) - 0.5);
            let cap = 0.035 + 0.03 * noise(self.scene.seed ^ 0x5a0, u * 60.0);
            let amount = smoothstep(snowline + 0.012, snowline - 0.012, v)
                * smoothstep(cap, cap * 0.6, depth);
            if amount > 0.0 {
                let snow = scale([0.95, 0.96, 1.0], 0.92 + 0.08 * light);
                color = mix(color, snow, 0.85 * amount);
            }
        }
        // Soften the skyline over about one pixel.
        mix(below, color, smoothstep(0.0, pixel, depth))
    }

    fn water(&self, x: u32, v: f32, lake: Lake) -> Rgb {
        let below_surface = v - lake.level;
        let mirrored = lake.level - below_surface;
        let ripple = (v * 260.0 + noise(self.scene.seed ^ 0x1a, v * 40.0) * 6.0).sin()
            * below_surface
            * 0.012
            * self.width as f32;
        let x_reflected = (x as f32 + ripple).clamp(0.0, self.width as f32 - 1.0) as u32;
        let reflection = self.landscape(
            x_reflected,
            mirrored * self.height as f32,
            mirrored.max(0.0),
            true,
        );
        let shimmer = 0.92
            + 0.08
                * noise(
                    self.scene.seed ^ 0x5e,
                    x as f32 / self.width as f32 * 14.0 + v * 300.0,
                );
        let depth_fade = smoothstep(0.0, 0.35, below_surface);
        let water = mix(
            scale(reflection, 0.78 * shimmer),
            lake.tint,
            0.25 + 0.35 * depth_fade,
        );
        let shoreline = 1.0 - smoothstep(0.0, 0.004, below_surface);
        mix(water, add(water, [0.06, 0.06, 0.06]), shoreline)
    }
}

/// Per-column light (-1..1) from the slope of the skyline, smoothed over about 2% of the
/// width so the light falls on whole mountain faces rather than single columns.
fn lighting(skyline: &[f32], width: u32, aspect: f32) -> Vec<f32> {
    let columns = skyline.len();
    let reach = (width as usize / 50).max(1);
    (0..columns)
        .map(|x| {
            let left = skyline[x.saturating_sub(reach)];
            let right = skyline[(x + reach).min(columns - 1)];
            let run = (2 * reach) as f32 / width as f32 * aspect;
            ((left - right) / run * 1.5).clamp(-1.0, 1.0)
        })
        .collect()
}

/// The skyline height (0..1) of a layer at horizontal position `u`.
fn relief(layer: &Layer, seed: u32, u: f32) -> f32 {
    let x = u * layer.frequency;
    match layer.relief {
        Relief::Peaks => {
            let mut total = 0.0;
            let mut amplitude = 0.6;
            let mut frequency = 1.0;
            let mut weight = 0.0;
            for octave in 0..4 {
                let n = noise(seed.wrapping_add(octave * 101), x * frequency);
                let ridge = 1.0 - (2.0 * n - 1.0).abs();
                total += ridge * ridge * amplitude;
                weight += amplitude;
                amplitude *= 0.42;
                frequency *= 2.3;
            }
            total / weight
        }
        Relief::Hills => fbm(seed, x, 2),
    }
}

fn vignette(color: Rgb, u: f32, v: f32) -> Rgb {
    let dx = u - 0.5;
    let dy = v - 0.5;
    scale(color, 1.0 - 0.28 * (dx * dx + dy * dy))
}

/// Smooth 1-D value noise in 0..1.
fn noise(seed: u32, x: f32) -> f32 {
    let cell = x.floor();
    let t = x - cell;
    let t = t * t * (3.0 - 2.0 * t);
    let cell = cell as i32;
    lerp(hash2(seed, cell, 0), hash2(seed, cell + 1, 0), t)
}

/// Smooth 2-D value noise in 0..1.
fn noise2(seed: u32, x: f32, y: f32) -> f32 {
    let (cell_x, cell_y) = (x.floor(), y.floor());
    let fade = |t: f32| t * t * (3.0 - 2.0 * t);
    let (tx, ty) = (fade(x - cell_x), fade(y - cell_y));
    let (cx, cy) = (cell_x as i32, cell_y as i32);
    let corner = |dx: i32, dy: i32| hash2(seed, cx + dx, (cy + dy).wrapping_mul(7919));
    lerp(
        lerp(corner(0, 0), corner(1, 0), tx),
        lerp(corner(0, 1), corner(1, 1), tx),
        ty,
    )
}

/// Fractal 2-D value noise in 0..1.
fn fbm2(seed: u32, x: f32, y: f32, octaves: u32) -> f32 {
    let (mut total, mut amplitude, mut frequency, mut weight) = (0.0, 1.0, 1.0, 0.0);
    for octave in 0..octaves {
        total += noise2(
            seed.wrapping_add(octave * 1013),
            x * frequency,
            y * frequency,
        ) * amplitude;
        weight += amplitude;
        amplitude *= 0.5;
        frequency *= 2.0;
    }
    total / weight
}

/// Fractal value noise in 0..1.
fn fbm(seed: u32, x: f32, octaves: u32) -> f32 {
    let (mut total, mut amplitude, mut frequency, mut weight) = (0.0, 1.0, 1.0, 0.0);
    for octave in 0..octaves {
        total += noise(seed.wrapping_add(octave * 1013), x * frequency) * amplitude;
        weight += amplitude;
        amplitude *= 0.5;
        frequency *= 2.0;
    }
    total / weight
}

/// A deterministic pseudo-random value in 0..1 for a seed and two integers.
fn hash2(seed: u32, a: i32, b: i32) -> f32 {
    let mut h = seed ^ (a as u32).wrapping_mul(0x27d4_eb2d) ^ (b as u32).wrapping_mul(0x1656_67b1);
    h ^= h >> 15;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    (h >> 8) as f32 / (1u32 << 24) as f32
}

fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

fn lerp(a: f32, b: f32, t: f32) -> f32 {
    a + (b - a) * t
}

pub(crate) fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        lerp(a[0], b[0], t),
        lerp(a[1], b[1], t),
        lerp(a[2], b[2], t),
    ]
}

fn scale(a: Rgb, factor: f32) -> Rgb {
    [a[0] * factor, a[1] * factor, a[2] * factor]
}

fn add(a: Rgb, b: Rgb) -> Rgb {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
